import Redis from 'ioredis';
import type { Pool } from 'mysql2/promise';
import { SQSClient } from '@aws-sdk/client-sqs';
import { redisCounters } from '../../shared/adapters/counters';
import { sqsQueue, sqsQueueDepth } from '../../shared/adapters/sqs';
import { mysqlNumbering } from '../../shared/adapters/stores/numbering';
import { counterRecovery } from '../../shared/services/recovery';
import { mysqlApplications } from '../../shared/adapters/stores/applications';
import { mysqlChats } from '../../shared/adapters/stores/chats';
import { mysqlMessages } from '../../shared/adapters/stores/messages';
import { applicationService } from '../../shared/services/applications';
import { chatService } from '../../shared/services/chats';
import { systemClock } from '../../shared/services/clock';
import { config } from '../../shared/config';
import { testDb } from '../helpers/db';

/** Real clients, instrumented to count what reaches each server. */
function instrumented() {
  const calls = { mysql: 0, redis: 0, sqs: 0 };
  const pool = testDb();
  const countingPool = new Proxy(pool, {
    get(target, property, receiver) {
      if (property === 'query' || property === 'execute') {
        return (...args: unknown[]) => {
          calls.mysql++;
          return (target as any)[property](...args);
        };
      }
      return Reflect.get(target, property, receiver);
    },
  }) as Pool;
  const redis = new Redis(config().redis.url);
  const sendCommand = redis.sendCommand.bind(redis);
  redis.sendCommand = (command) => {
    calls.redis++;
    return sendCommand(command);
  };
  const sqs = new SQSClient({ region: config().sqs.region, endpoint: config().sqs.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  sqs.middlewareStack.add(
    (next) => async (args) => {
      calls.sqs++;
      return next(args);
    },
    { step: 'finalizeRequest', name: 'countRequests' },
  );
  return { calls, pool: countingPool, redis, sqs };
}

describe('the create paths', () => {
  it('creating a chat or a message is 0 MySQL statements, 1 Redis round trip and 1 SQS request', async () => {
    const { calls, pool, redis, sqs } = instrumented();
    const deps = { counters: redisCounters(redis), clock: systemClock };
    const apps = applicationService({ ...deps, applications: mysqlApplications(pool) });
    // The recovery would count MySQL statements: it must never run on this path.
    const recovery = counterRecovery({ counters: deps.counters, numbering: mysqlNumbering(pool), queues: sqsQueueDepth(sqs), margin: 0 });
    const chats = chatService({ ...deps, recovery, queue: sqsQueue(sqs), chats: mysqlChats(pool), messages: mysqlMessages(pool) });
    const { token } = await apps.create('counted');
    // Load the Lua scripts once: a server that never saw them answers NOSCRIPT to the first EVALSHA.
    await chats.createChat(token);
    await chats.createMessage(token, 1, 'warm-up');

    for (const create of [() => chats.createChat(token), () => chats.createMessage(token, 1, 'counted message')]) {
      Object.assign(calls, { mysql: 0, redis: 0, sqs: 0 });
      await create();

      expect(calls).toEqual({ mysql: 0, redis: 1, sqs: 1 });
    }
    redis.disconnect();
    sqs.destroy();
  });
});
