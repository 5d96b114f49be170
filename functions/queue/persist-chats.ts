import { ChatRecord } from '../../shared/domain/records';
import { batchHandler } from '../../shared/queue/batch-handler';

export const handler = batchHandler('persistChats', ChatRecord, async () => []);
