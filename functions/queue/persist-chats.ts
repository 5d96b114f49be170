import { ChatRecord } from '../../shared/domain/records';
import { batchHandler } from '../../shared/queue/batch-handler';
import { services } from '../../shared/services';

export const handler = batchHandler('persistChats', ChatRecord, async (items) => (await services.persistence().persistChats(items)).failures);
