import { redisConnections } from '../adapters/connections';
import { redisCounters } from '../adapters/counters';
import { searchMessages } from '../adapters/search-index';
import { sqsQueue } from '../adapters/sqs';
import { apiGatewayPusher } from '../adapters/websocket-push';
import { mysqlApplications } from '../adapters/stores/applications';
import { mysqlChats } from '../adapters/stores/chats';
import { mysqlMessages } from '../adapters/stores/messages';
import { applicationService } from './applications';
import { chatService } from './chats';
import { systemClock } from './clock';
import { liveService } from './live';
import { persistenceService, searchIndexOf } from './persistence';
import { searchService } from './search';

/**
 * The composition root: the use cases wired to the real adapters, built on first use and kept for
 * the life of the container (the adapters' clients are created once per container too).
 */
const once = <T>(build: () => T): (() => T) => {
  let value: T | undefined;
  return () => (value ??= build());
};

export const services = {
  applications: once(() => applicationService({ applications: mysqlApplications(), counters: redisCounters(), clock: systemClock })),
  chats: once(() =>
    chatService({ counters: redisCounters(), queue: sqsQueue(), chats: mysqlChats(), messages: mysqlMessages(), clock: systemClock }),
  ),
  persistence: once(() =>
    persistenceService({ applications: mysqlApplications(), chats: mysqlChats(), messages: mysqlMessages(), search: searchIndexOf() }),
  ),
  live: once(() => liveService({ counters: redisCounters(), connections: redisConnections(), pusher: apiGatewayPusher() })),
  search: once(() => searchService({ counters: redisCounters(), search: (request) => searchMessages(request) })),
};
