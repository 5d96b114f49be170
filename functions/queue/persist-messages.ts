import { MessageRecord } from '../../shared/domain/records';
import { batchHandler } from '../../shared/queue/batch-handler';
import { services } from '../../shared/services';

export const handler = batchHandler('persistMessages', MessageRecord, async (items) => (await services.persistence().persistMessages(items)).failures);
