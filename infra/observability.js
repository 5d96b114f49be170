'use strict';
// CloudWatch alarms and the dashboard of an AWS stage. What each alarm means and what to do:
// docs/deploy.md "Alarms". Alarms notify the SNS topic given as the AlarmTopicArn parameter (Serverless
// param alarmTopicArn or env ALARM_TOPIC_ARN); without one they still change state in the console.
const { queues } = require('./queues.json');

const NAMESPACE = 'ChatSystem';
const SERVICE_DIMENSION = 'chat-system';
/** serverless's logical ids: the HTTP API, and a function `name` → `<Name>LambdaFunction`. */
const HTTP_API = 'HttpApi';
const functionId = (name) => `${name.charAt(0).toUpperCase()}${name.slice(1)}LambdaFunction`;
const pascal = (key) => key.charAt(0).toUpperCase() + key.slice(1);

/** A record is normally persisted within seconds; five minutes of waiting means the consumer is stuck. */
const OLDEST_MESSAGE_ALARM_SECONDS = 300;
/** 5xx answers above 1 % of the requests of five minutes, once there are enough requests to judge. */
const API_5XX_PERCENT = 1;
const API_MIN_REQUESTS = 20;

const actions = {
  AlarmActions: { 'Fn::If': ['HasAlarmTopic', [{ Ref: 'AlarmTopicArn' }], { Ref: 'AWS::NoValue' }] },
  OKActions: { 'Fn::If': ['HasAlarmTopic', [{ Ref: 'AlarmTopicArn' }], { Ref: 'AWS::NoValue' }] },
};

const alarm = (description, properties) => ({
  Type: 'AWS::CloudWatch::Alarm',
  Properties: { AlarmDescription: `${description} (docs/deploy.md "Alarms")`, ...actions, TreatMissingData: 'notBreaching', ...properties },
});

function alarms(stage, logicalQueueId, logicalDeadLetterQueueId) {
  const resources = {};
  for (const [key, queue] of Object.entries(queues)) {
    resources[`${pascal(key)}DeadLetterQueueNotEmptyAlarm`] = alarm(
      `${stage}: records of the ${key} queue failed ${queue.maxReceiveCount} times and wait in its dead-letter queue`,
      {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalDeadLetterQueueId(key), 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    );
    resources[`${pascal(key)}QueueOldestMessageAlarm`] = alarm(
      `${stage}: the oldest record of the ${key} queue has waited over ${OLDEST_MESSAGE_ALARM_SECONDS} s (consumer stuck or failing)`,
      {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalQueueId(key), 'QueueName'] } }],
        Statistic: 'Maximum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: OLDEST_MESSAGE_ALARM_SECONDS,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    );
    resources[`${pascal(queue.consumer)}ErrorsAlarm`] = alarm(
      `${stage}: ${queue.consumer} invocations failed (crash, timeout, out of memory): their whole batch is retried`,
      {
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId(queue.consumer) } }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      },
    );
  }
  const apiMetric = (id, metricName) => ({
    Id: id,
    ReturnData: false,
    MetricStat: { Metric: { Namespace: 'AWS/ApiGateway', MetricName: metricName, Dimensions: [{ Name: 'ApiId', Value: { Ref: HTTP_API } }] }, Period: 300, Stat: 'Sum' },
  });
  resources.Api5xxRateAlarm = alarm(`${stage}: over ${API_5XX_PERCENT} % of API requests answered 5xx (a dependency down: 503, or a bug: 500)`, {
    Metrics: [
      apiMetric('errors', '5xx'),
      apiMetric('requests', 'Count'),
      {
        Id: 'rate',
        Label: '5xx percent',
        Expression: `IF(requests >= ${API_MIN_REQUESTS}, 100 * errors / requests, 0)`,
        ReturnData: true,
      },
    ],
    EvaluationPeriods: 1,
    Threshold: API_5XX_PERCENT,
    ComparisonOperator: 'GreaterThanThreshold',
  });
  return resources;
}

/** One dashboard: the API, the creates, the consumers, the queues. */
function dashboard(stage, logicalQueueId, logicalDeadLetterQueueId) {
  const region = '${AWS::Region}';
  const widget = (title, metrics, extra = {}) => ({
    type: 'metric',
    width: 12,
    height: 6,
    properties: { title, region, view: 'timeSeries', stacked: false, period: 60, metrics, ...extra },
  });
  const queueName = (id) => `\${${id}.QueueName}`;
  const consumers = Object.values(queues).map((queue) => queue.consumer);
  const search = (expression, stat, label) => [{ expression: `SEARCH('${expression}', '${stat}', 60)`, label }];
  const widgets = [
    widget('API requests and errors', [
      ['AWS/ApiGateway', 'Count', 'ApiId', `\${${HTTP_API}}`, { stat: 'Sum' }],
      ['.', '4xx', '.', '.', { stat: 'Sum' }],
      ['.', '5xx', '.', '.', { stat: 'Sum' }],
    ]),
    widget('API latency (ms)', [
      ['AWS/ApiGateway', 'Latency', 'ApiId', `\${${HTTP_API}}`, { stat: 'p50' }],
      ['...', { stat: 'p99' }],
    ]),
    widget('Creates by route', [search(`{${NAMESPACE},route,service} MetricName="Created"`, 'Sum', '')[0]]),
    widget('Consumer batches: size (avg), persisted and failed records (sum)', [
      ...consumers.flatMap((consumer) => [
        [NAMESPACE, 'ConsumerBatchSize', 'consumer', consumer, 'service', SERVICE_DIMENSION, { stat: 'Average' }],
        [NAMESPACE, 'RecordsPersisted', 'consumer', consumer, 'service', SERVICE_DIMENSION, { stat: 'Sum' }],
        [NAMESPACE, 'RecordFailures', 'consumer', consumer, 'service', SERVICE_DIMENSION, { stat: 'Sum' }],
      ]),
    ]),
    widget('Queue lag: age of the oldest record of a batch (ms, max)', [
      ...consumers.map((consumer) => [NAMESPACE, 'QueueLag', 'consumer', consumer, 'service', SERVICE_DIMENSION, { stat: 'Maximum' }]),
    ]),
    widget('Queues: waiting records, DLQ depth, oldest record (s)', [
      ...Object.keys(queues).flatMap((key) => [
        ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queueName(logicalQueueId(key)), { stat: 'Maximum' }],
        ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', queueName(logicalDeadLetterQueueId(key)), { stat: 'Maximum' }],
        ['AWS/SQS', 'ApproximateAgeOfOldestMessage', 'QueueName', queueName(logicalQueueId(key)), { stat: 'Maximum', yAxis: 'right' }],
      ]),
    ]),
    widget('Consumer errors and throttles', [
      ...consumers.flatMap((consumer) => [
        ['AWS/Lambda', 'Errors', 'FunctionName', `\${${functionId(consumer)}}`, { stat: 'Sum' }],
        ['AWS/Lambda', 'Throttles', 'FunctionName', `\${${functionId(consumer)}}`, { stat: 'Sum' }],
      ]),
    ]),
    // Whatever else the code counts with recordMetric (collisions, recoveries, push failures, …).
    widget('Other application metrics (sum)', [search(`{${NAMESPACE},service} service="${SERVICE_DIMENSION}"`, 'Sum', '')[0]]),
  ];
  return {
    Type: 'AWS::CloudWatch::Dashboard',
    Properties: {
      DashboardName: `chat-system-${stage}`,
      DashboardBody: { 'Fn::Sub': JSON.stringify({ widgets }) },
    },
  };
}

module.exports = {
  /** The AlarmTopicArn parameter (default: the alarmTopicArn setting) and its condition. */
  parameters(alarmTopicArn) {
    return {
      AlarmTopicArn: {
        Type: 'String',
        Default: alarmTopicArn ?? '',
        AllowedPattern: '^(arn:aws[a-z-]*:sns:[a-z0-9-]+:[0-9]{12}:[A-Za-z0-9_-]+)?$',
        Description: 'SNS topic the alarms notify (Serverless param alarmTopicArn or env ALARM_TOPIC_ARN); empty: no notifications',
      },
    };
  },
  conditions: { HasAlarmTopic: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'AlarmTopicArn' }, ''] }] } },
  resources(stage, { logicalQueueId, logicalDeadLetterQueueId }) {
    return { ...alarms(stage, logicalQueueId, logicalDeadLetterQueueId), Dashboard: dashboard(stage, logicalQueueId, logicalDeadLetterQueueId) };
  },
};
