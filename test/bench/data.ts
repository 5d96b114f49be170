// The bench's own data on the test stage: one application (a fresh token) whose chats each phase
// takes, the checks that a phase's rows really landed, and the clean-up that removes every row,
// document, Redis key and queued record the bench made, so the kept test database does not grow.
import type { RowDataPacket } from 'mysql2/promise';
import { localEnvironment } from '../../infra/local/environment';
import { emptyQueue, localSqsClient } from '../../infra/local/platform';

export async function benchData() {
  // Imported here: config() reads the environment stage.ts set.
  const { services } = await import('../../shared/services');
  const { mysqlPool } = await import('../../shared/adapters/mysql');
  const { mysqlChats } = await import('../../shared/adapters/stores/chats');
  const { redisClient } = await import('../../shared/adapters/redis');
  const { appKey } = await import('../../shared/adapters/counters');
  const { defaultSearchTarget, refreshMessagesIndex } = await import('../../shared/adapters/search-index');
  const { messagesAlias } = await import('../../shared/domain/search');
  const pool = mysqlPool();
  const search = defaultSearchTarget();
  const { token } = await services.applications().create('npm run bench');
  const [[app]] = await pool.query<RowDataPacket[]>('SELECT id FROM applications WHERE token = ?', [token]);
  const applicationId = Number(app!.id);

  const data = {
    token,
    /** A new chat: numbered in Redis like any create, and its row written now (the raw floors need its id). */
    async newChat(): Promise<number> {
      const number = await services.chats().createChat(token);
      await mysqlChats().upsert([{ applicationId, number, createdAt: new Date() }]);
      return number;
    },
    async chatId(number: number): Promise<number> {
      const [[row]] = await pool.query<RowDataPacket[]>('SELECT id FROM chats WHERE application_id = ? AND number = ?', [applicationId, number]);
      return Number(row!.id);
    },
    /** Throws unless the chat holds exactly `count` messages in MySQL and in the search index. */
    async expectPersisted(chatNumber: number, count: number): Promise<void> {
      const [[row]] = await pool.query<RowDataPacket[]>(
        'SELECT COUNT(*) AS n FROM messages m JOIN chats c ON c.id = m.chat_id WHERE c.application_id = ? AND c.number = ?',
        [applicationId, chatNumber],
      );
      await refreshMessagesIndex(search);
      const { body } = await search.client.count({
        index: messagesAlias(search.prefix),
        body: { query: { bool: { filter: [{ term: { token } }, { term: { chat_number: chatNumber } }] } } },
      });
      if (Number(row!.n) !== count || body.count !== count) {
        throw new Error(`chat ${chatNumber}: expected ${count} messages, MySQL has ${row!.n}, the index ${body.count}`);
      }
    },
    /** Removes everything the bench wrote; the test stage's queues are purged (bench records only: run under the lock). */
    async cleanUp(): Promise<void> {
      const env = localEnvironment('test');
      const sqs = localSqsClient('test');
      for (const url of [env.MESSAGES_QUEUE_URL!, env.CHATS_QUEUE_URL!]) await emptyQueue(sqs, url);
      sqs.destroy();
      // Tens of thousands of documents: longer than the request paths' client deadline.
      await search.client.deleteByQuery({ index: messagesAlias(search.prefix), refresh: true, conflicts: 'proceed', body: { query: { term: { token } } } }, { requestTimeout: 120_000 });
      // Small deletes: a single DELETE of 10^5 rows would hold locks and bloat the undo log.
      for (;;) {
        const [result] = await pool.query('DELETE FROM messages WHERE chat_id IN (SELECT id FROM chats WHERE application_id = ?) LIMIT 20000', [applicationId]);
        if ((result as { affectedRows: number }).affectedRows === 0) break;
      }
      await pool.query('DELETE FROM chats WHERE application_id = ?', [applicationId]);
      await pool.query('DELETE FROM applications WHERE id = ?', [applicationId]);
      await redisClient().del(appKey(token));
    },
  };
  return data;
}

export type BenchData = Awaited<ReturnType<typeof benchData>>;
