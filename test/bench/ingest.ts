// Consumer ingest: the same messages persisted and indexed in batches of 100 (one multi-row statement
// and one _bulk per batch, as the consumer does) and one at a time, on the real MySQL and OpenSearch of
// the test stage; reports both rates
// and the speed-up of batching. Part of `npm run bench`.
import { performance } from 'node:perf_hooks';

const MESSAGES = 2000;

export async function benchIngest(): Promise<void> {
  // Imported after the environment is set: config() reads it on first use.
  const { mysqlPool } = await import('../../shared/adapters/mysql');
  const { mysqlApplications } = await import('../../shared/adapters/stores/applications');
  const { mysqlChats } = await import('../../shared/adapters/stores/chats');
  const { mysqlMessages } = await import('../../shared/adapters/stores/messages');
  const { persistenceService, searchIndexOf } = await import('../../shared/services/persistence');
  const { newToken } = await import('../../shared/services/applications');
  const { services } = await import('../../shared/services');
  const { redisCounters } = await import('../../shared/adapters/counters');
  const { randomUUID } = await import('node:crypto');
  const deps = { applications: mysqlApplications(), chats: mysqlChats(), messages: mysqlMessages() };
  const persistence = persistenceService({ ...deps, search: searchIndexOf(), counters: redisCounters(), recovery: services.recovery() });
  try {
    const rate = async (batchSize: number) => {
      const token = newToken();
      await deps.applications.insert(token, 'ingest bench', new Date());
      const records = Array.from({ length: MESSAGES }, (_, i) => ({
        id: String(i),
        receiveCount: 1,
        body: { type: 'message.created' as const, id: randomUUID(), token, chatNumber: 1, number: i + 1, content: `ingest bench message ${i}`, createdAt: new Date().toISOString() },
      }));
      const startedAt = performance.now();
      for (let i = 0; i < records.length; i += batchSize) {
        const { failures } = await persistence.persistMessages(records.slice(i, i + batchSize));
        if (failures.length) throw new Error(`ingest failed: ${failures[0]!.reason}`);
      }
      return MESSAGES / ((performance.now() - startedAt) / 1000);
    };
    const batched = await rate(100);
    const single = await rate(1);
    console.log(`consumer ingest into MySQL + OpenSearch: ${Math.round(batched)} rows/s in batches of 100, ${Math.round(single)} rows/s one at a time: batching is ${(batched / single).toFixed(1)}x faster`);
  } finally {
    await mysqlPool().end();
    (await import('../../shared/adapters/redis')).redisClient().disconnect();
    (await import('../../shared/adapters/sqs')).sqsClient().destroy();
  }
}
