import { MessageRecord } from '../../shared/domain/records';
import { batchHandler } from '../../shared/queue/batch-handler';
import { services } from '../../shared/services';

export const handler = batchHandler('persistMessages', MessageRecord, async (items) => {
  const result = await services.persistence().persistMessages(items);
  // Live updates, once the batch is in MySQL and OpenSearch; a push failure never fails the batch (it never throws).
  await services.live().notifyPersisted(
    result.stored.map((item) => item.body),
    result.rows ?? [],
  );
  return result.failures;
});
