import { redisConnections } from '../adapters/connections';
import { redisCounters } from '../adapters/counters';
import { mysqlPool, withStatementTimeout } from '../adapters/mysql';
import { searchMessages } from '../adapters/search-index';
import { sqsQueue, sqsQueueDepth } from '../adapters/sqs';
import { apiGatewayPusher } from '../adapters/websocket-push';
import { mysqlApplications } from '../adapters/stores/applications';
import { mysqlChats } from '../adapters/stores/chats';
import { mysqlMessages } from '../adapters/stores/messages';
import { mysqlNumbering } from '../adapters/stores/numbering';
import { config } from '../config';
import { applicationService } from './applications';
import { chatService } from './chats';
import { systemClock } from './clock';
import { liveService } from './live';
import { persistenceService, searchIndexOf } from './persistence';
import { counterRecovery } from './recovery';
import { searchService } from './search';

/**
 * The composition root: the use cases wired to the real adapters, built on first use and kept for
 * the life of the container (the adapters' clients are created once per container too).
 */
const once = <T>(build: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= build());
};

const counters = once(() => {
  const { burst, perSecond, keyTtlSeconds, missConfirmations } = config().limits;
  return redisCounters(undefined, { burst, perSecond, keyTtlSeconds, leaseMs: 10_000, missConfirmations });
});

/** Rebuilds Redis counters from MySQL on a miss; also the WebSocket $connect check's entry point. */
const recovery = once(() =>
  counterRecovery({ counters: counters(), numbering: mysqlNumbering(), queues: sqsQueueDepth(), margin: config().limits.recoveryMargin }),
);

export const services = {
  applications: once(() => applicationService({ applications: mysqlApplications(), counters: counters(), clock: systemClock })),
  chats: once(() =>
    chatService({ counters: counters(), recovery: recovery(), queue: sqsQueue(), chats: mysqlChats(), messages: mysqlMessages(), clock: systemClock }),
  ),
  persistence: once(() => {
    // Consumers' statements are multi-row upserts: a longer statement deadline than the request paths'.
    const pool = withStatementTimeout(mysqlPool(), config().mysql.consumerQueryTimeoutMs);
    return persistenceService({
      applications: mysqlApplications(pool),
      chats: mysqlChats(pool),
      messages: mysqlMessages(pool),
      search: searchIndexOf(),
      counters: counters(),
      recovery: recovery(),
    });
  }),
  search: once(() => searchService({ recovery: recovery(), search: (request) => searchMessages(request) })),
  live: once(() => liveService({ recovery: recovery(), connections: redisConnections(), pusher: apiGatewayPusher() })),
  recovery,
};
