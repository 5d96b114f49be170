'use strict';
// One SQS-triggered consumer per queue, generated from the single queue definition so the batch
// size, window and timeout that AWS uses are the ones the local delivery loop uses.
const { queues } = require('./queues.json');
const { logicalQueueId } = require('./resources.js');

module.exports = () =>
  Object.fromEntries(
    Object.entries(queues).map(([key, queue]) => [
      queue.consumer,
      {
        handler: queue.consumerHandler,
        timeout: queue.consumerTimeout,
        events: [
          {
            sqs: {
              arn: { 'Fn::GetAtt': [logicalQueueId(key), 'Arn'] },
              batchSize: queue.batchSize,
              maximumBatchingWindow: queue.maximumBatchingWindow,
              functionResponseType: 'ReportBatchItemFailures',
            },
          },
        ],
      },
    ]),
  );
