import Redis, { ReplyError } from 'ioredis';
import { guarded } from '../domain/errors';
import { redisClient } from './redis';

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

/** The scripts' source, for the benchmark's raw floor (the same script, without this adapter). */
export const numberingScripts = { NEXT_CHAT, NEXT_MESSAGE };

type Numbering = Redis & {
  nextChatNumber(key: string): Promise<number>;
  nextMessageNumber(key: string, chatNumber: number): Promise<number>;
};

export const appKey = (token: string) => `{app:${token}}`;

/** The outcome of taking a number: the number, or which parent is unknown. */
export type NextNumber = { number: number } | { missing: 'application' | 'chat' };

/** What Redis knows of a chat without changing anything: unknown parent, or its last message number. */
export type ChatNumbering = { lastMessage: number } | { missing: 'application' | 'chat' };

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
}

function withScripts(redis: Redis): Numbering {
  // defineCommand sends EVALSHA (one round trip), falling back to EVAL once per server restart.
  if (!('nextChatNumber' in redis)) {
    redis.defineCommand('nextChatNumber', { numberOfKeys: 1, lua: NEXT_CHAT });
    redis.defineCommand('nextMessageNumber', { numberOfKeys: 1, lua: NEXT_MESSAGE });
  }
  return redis as Numbering;
}

const outcome = (result: number, parent: 'chat'): NextNumber =>
  result === -1 ? { missing: 'application' } : result === 0 ? { missing: parent } : { number: result };

/** Redis being unreachable is an outage (503); an error reply from a script is a bug. */
const isRedisOutage = (error: unknown) => !(error instanceof ReplyError);
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
  };
}
