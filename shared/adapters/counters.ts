import type Redis from 'ioredis';
import { guarded } from '../domain/errors';
import { isRedisOutage, redisClient } from './redis';

/**
 * The numbering of chats and messages, in Redis. One hash per application, `{app:TOKEN}`: field
 * `chats` is the last chat number handed out, field `m:N` the last message number of chat N. The
 * hash tag keeps an application's keys in one cluster slot, so each script touches one slot.
 *
 * Each script validates the parent and increments in one atomic step: no other client can run
 * between the check and the HINCRBY, so numbers are unique and dense under any concurrency, across
 * any number of API instances.
 */
const NEXT_CHAT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return -1 end
return redis.call('HINCRBY', KEYS[1], 'chats', 1)`;

const NEXT_MESSAGE = `
local chats = tonumber(redis.call('HGET', KEYS[1], 'chats'))
if not chats then return -1 end
if tonumber(ARGV[1]) > chats then return 0 end
return redis.call('HINCRBY', KEYS[1], 'm:' .. ARGV[1], 1)`;

/**
 * The version of an edit, per message: a hybrid logical clock, max(Redis TIME in µs, last version + 1),
 * kept in field `e:CHAT:N`. Every container asks the same Redis, so edits of one message are ordered
 * by when they were accepted, whatever the containers' clocks say, and two edits in the same
 * microsecond still differ. If Redis loses the field, the clock part keeps later edits above earlier
 * ones (as long as Redis's clock does not go back). Returns -1 / 0 / -2 for an unknown application,
 * chat or message number.
 */
const NEXT_EDIT_VERSION = `
local chats = tonumber(redis.call('HGET', KEYS[1], 'chats'))
if not chats then return -1 end
if tonumber(ARGV[1]) > chats then return 0 end
local last = tonumber(redis.call('HGET', KEYS[1], 'm:' .. ARGV[1]) or '0')
if tonumber(ARGV[2]) > last then return -2 end
local field = 'e:' .. ARGV[1] .. ':' .. ARGV[2]
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
local version = math.max(now, tonumber(redis.call('HGET', KEYS[1], field) or '0') + 1)
redis.call('HSET', KEYS[1], field, string.format('%.0f', version))
return version`;

type Numbering = Redis & {
  nextChatNumber(key: string): Promise<number>;
  nextMessageNumber(key: string, chatNumber: number): Promise<number>;
  nextEditVersion(key: string, chatNumber: number, number: number): Promise<number>;
};

export const appKey = (token: string) => `{app:${token}}`;

/** The outcome of taking a number: the number, or which parent is unknown. */
export type NextNumber = { number: number } | { missing: 'application' | 'chat' };

/** What Redis knows of a chat without changing anything: unknown parent, or its last message number. */
export type ChatNumbering = { lastMessage: number } | { missing: 'application' | 'chat' };

/** The version that orders an edit among the edits of its message, or which parent is unknown. */
export type EditVersion = { version: number } | { missing: 'application' | 'chat' | 'message' };

export interface Counters {
  /**
   * Read-only, one round trip (HMGET of `chats` and `m:N`): whether the application exists and the
   * chat number was handed out, and the last message number handed out in it. Knows chats and
   * messages that are numbered but not yet in MySQL (DESIGN invariant 3).
   */
  chatNumbering(token: string, chatNumber: number): Promise<ChatNumbering>;
  registerApplication(token: string): Promise<void>;
  forgetApplication(token: string): Promise<void>;
  nextChat(token: string): Promise<NextNumber>;
  nextMessage(token: string, chatNumber: number): Promise<NextNumber>;
  /** One round trip: checks the message number was handed out and takes its next edit version. */
  nextEditVersion(token: string, chatNumber: number, number: number): Promise<EditVersion>;
}

function withScripts(redis: Redis): Numbering {
  // defineCommand sends EVALSHA (one round trip), falling back to EVAL once per server restart.
  if (!('nextChatNumber' in redis)) {
    redis.defineCommand('nextChatNumber', { numberOfKeys: 1, lua: NEXT_CHAT });
    redis.defineCommand('nextMessageNumber', { numberOfKeys: 1, lua: NEXT_MESSAGE });
  }
  if (!('nextEditVersion' in redis)) redis.defineCommand('nextEditVersion', { numberOfKeys: 1, lua: NEXT_EDIT_VERSION });
  return redis as Numbering;
}

const outcome = (result: number, parent: 'chat'): NextNumber =>
  result === -1 ? { missing: 'application' } : result === 0 ? { missing: parent } : { number: result };

const redisCall = <T>(call: () => Promise<T>) => guarded('redis', call, isRedisOutage);

export function redisCounters(redis: Redis = redisClient()): Counters {
  const numbering = withScripts(redis);
  return {
    async chatNumbering(token, chatNumber) {
      const [chats, lastMessage] = await redisCall(() => redis.hmget(appKey(token), 'chats', `m:${chatNumber}`));
      // registerApplication always sets `chats`: without it the application is unknown.
      if (chats === null || chats === undefined) return { missing: 'application' };
      if (chatNumber > Number(chats)) return { missing: 'chat' };
      return { lastMessage: Number(lastMessage ?? 0) };
    },
    async registerApplication(token) {
      await redisCall(() => redis.hsetnx(appKey(token), 'chats', 0));
    },
    async forgetApplication(token) {
      await redisCall(() => redis.del(appKey(token)));
    },
    async nextChat(token) {
      return outcome(await redisCall(() => numbering.nextChatNumber(appKey(token))), 'chat');
    },
    async nextMessage(token, chatNumber) {
      return outcome(await redisCall(() => numbering.nextMessageNumber(appKey(token), chatNumber)), 'chat');
    },
    async nextEditVersion(token, chatNumber, number) {
      const result = Number(await redisCall(() => numbering.nextEditVersion(appKey(token), chatNumber, number)));
      if (result === -1) return { missing: 'application' };
      if (result === 0) return { missing: 'chat' };
      if (result === -2) return { missing: 'message' };
      return { version: result };
    },
  };
}
