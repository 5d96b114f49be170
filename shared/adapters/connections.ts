import type { Cluster, default as Redis } from 'ioredis';
import { guarded } from '../domain/errors';
import type { ChatAddress } from '../domain/live';
import { appKey } from './counters';
import { isRedisOutage, redisClient } from './redis';

/**
 * The WebSocket connections of each chat, in Redis.
 *
 * `{app:TOKEN}:ws:N` is a sorted set of the connection ids of chat N, each scored with the time it
 * expires (epoch ms); the key itself expires with its newest member. The app's hash tag keeps it in
 * the application's cluster slot. A connection's score is pushed forward whenever it is used (a
 * ping, a delivered push), so an entry whose `$disconnect` was lost (API Gateway delivers it on a
 * best-effort basis) disappears after `idleTtlSeconds` of silence instead of being pushed to forever.
 *
 * `$disconnect` and a ping know only the connection id, so `ws:connection:{ID}` maps it to its chat.
 * It lives in the connection's own slot (no script ever needs both keys) for the longest life of a
 * connection (API Gateway closes every connection after 2 hours).
 */
export interface ConnectionRegistry {
  add(chat: ChatAddress, connectionId: string): Promise<void>;
  /** The chat a connection subscribed to, if it is still registered. */
  chatOf(connectionId: string): Promise<ChatAddress | undefined>;
  /** The live (unexpired) connections of a chat. */
  ofChat(chat: ChatAddress): Promise<string[]>;
  /** Moves the expiry of these connections of the chat forward (only those still registered). */
  refresh(chat: ChatAddress, connectionIds: string[]): Promise<void>;
  /** Removes a connection from its chat (on `$disconnect`). */
  remove(connectionId: string): Promise<void>;
  /**
   * Removes a connection API Gateway called gone (410), unless it was registered or used within
   * `goneGraceSeconds`: `$connect` registers it before the handshake completes, and a push in that
   * window is refused with 410 too. Resolves whether it was removed.
   */
  removeGone(chat: ChatAddress, connectionId: string): Promise<boolean>;
}

export interface ConnectionRegistryOptions {
  /** Silence after which a connection is dropped: API Gateway's idle timeout (10 min) plus a margin. */
  idleTtlSeconds?: number;
  /** The longest a connection lives: API Gateway's maximum connection duration (2 h). */
  maxLifetimeSeconds?: number;
  /** A 410 for a connection registered or used more recently than this is not believed (yet). */
  goneGraceSeconds?: number;
  now?: () => number;
}

export const chatConnectionsKey = ({ token, chatNumber }: ChatAddress) => `${appKey(token)}:ws:${chatNumber}`;
export const connectionKey = (connectionId: string) => `ws:connection:{${connectionId}}`;

/** ZREM the member (ARGV[1]) only if its expiry score is below ARGV[2]: last used before the grace. */
const REMOVE_IF_IDLE_SINCE = `
local score = redis.call('ZSCORE', KEYS[1], ARGV[1])
if score and tonumber(score) < tonumber(ARGV[2]) then return redis.call('ZREM', KEYS[1], ARGV[1]) end
return 0`;

const redisCall = <T>(call: () => Promise<T>) => guarded('redis', call, isRedisOutage);

/** A MULTI's replies, failing on the first error reply (ioredis resolves them as [error, result] pairs). */
async function exec(multi: ReturnType<Redis['multi']>): Promise<unknown[]> {
  const replies = (await multi.exec()) ?? [];
  for (const [error] of replies) if (error) throw error;
  return replies.map(([, result]) => result);
}

export function redisConnections(redis: Redis | Cluster = redisClient(), options: ConnectionRegistryOptions = {}): ConnectionRegistry {
  const idleMs = (options.idleTtlSeconds ?? 15 * 60) * 1000;
  const lifetimeMs = (options.maxLifetimeSeconds ?? 2 * 60 * 60) * 1000;
  const graceMs = (options.goneGraceSeconds ?? 10) * 1000;
  const now = options.now ?? Date.now;
  return {
    async add(chat, connectionId) {
      const key = chatConnectionsKey(chat);
      await redisCall(() =>
        Promise.all([
          exec(redis.multi().zadd(key, now() + idleMs, connectionId).pexpire(key, idleMs)),
          redis.set(connectionKey(connectionId), JSON.stringify(chat), 'PX', lifetimeMs),
        ]),
      );
    },
    async chatOf(connectionId) {
      const value = await redisCall(() => redis.get(connectionKey(connectionId)));
      return value ? (JSON.parse(value) as ChatAddress) : undefined;
    },
    async ofChat(chat) {
      const key = chatConnectionsKey(chat);
      const at = now();
      const [, live] = await redisCall(() => exec(redis.multi().zremrangebyscore(key, '-inf', at).zrangebyscore(key, at, '+inf')));
      return live as string[];
    },
    async refresh(chat, connectionIds) {
      if (connectionIds.length === 0) return;
      const key = chatConnectionsKey(chat);
      const expiresAt = now() + idleMs;
      // XX: never re-adds a connection that disconnected meanwhile.
      await redisCall(() => exec(redis.multi().zadd(key, 'XX', ...connectionIds.flatMap((id) => [expiresAt, id])).pexpire(key, idleMs)));
    },
    async remove(connectionId) {
      const chat = await this.chatOf(connectionId);
      await redisCall(() => Promise.all([redis.del(connectionKey(connectionId)), chat ? redis.zrem(chatConnectionsKey(chat), connectionId) : undefined]));
    },
    async removeGone(chat, connectionId) {
      // Its score is (last use + idle TTL): last use before (now - grace) means a score below this.
      const threshold = now() - graceMs + idleMs;
      const removed = await redisCall(() => redis.eval(REMOVE_IF_IDLE_SINCE, 1, chatConnectionsKey(chat), connectionId, threshold));
      if (removed === 1) await redisCall(() => redis.del(connectionKey(connectionId)));
      return removed === 1;
    },
  };
}
