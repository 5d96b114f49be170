import type Redis from 'ioredis';
import type { Cluster } from 'ioredis';
import { guarded } from '../domain/errors';
import { isRedisOutage, redisClient } from './redis';

/**
 * The numbering of chats and messages, in Redis. One hash per application, `{app:TOKEN}`: field
 * `chats` is the last chat number handed out, field `m:N` the last message number of chat N. Beside
 * it, in the same cluster slot (same hash tag): `{app:TOKEN}:rate`, the token bucket of the create
 * routes (also taken when a request that misses in Redis is confirmed against MySQL), and
 * `{app:TOKEN}:idem:KEY`, one hash per Idempotency-Key. Each script touches one slot. One key has a
 * slot of its own: `{miss-confirmations}`, the global bucket of those MySQL confirmations.
 *
 * The create script rate-limits, checks the Idempotency-Key, validates the parent and increments in
 * one atomic step: no other client runs between the check and the HINCRBY, so numbers are unique
 * and dense under any concurrency, across any number of API instances, in one round trip.
 */

/** Redis's clock in milliseconds, as `now`: every instance's scripts read the same clock. */
const NOW = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/**
 * A token bucket in the hash `KEYS[k]` (fields `tokens`, `at`), refilled continuously up to its
 * capacity: takes one token, or returns {'rate', ms until one is back}. The key expires once it
 * would be full again, so idle buckets (and those of random tokens) do not stay in Redis.
 */
const TAKE_TOKEN = (k: number, capacity: string, perSecond: string) => `
local capacity, rate = tonumber(${capacity}), tonumber(${perSecond})
local bucket = redis.call('HMGET', KEYS[${k}], 'tokens', 'at')
local tokens = tonumber(bucket[1]) or capacity
local last = tonumber(bucket[2]) or now
tokens = math.min(capacity, tokens + math.max(0, now - last) * rate / 1000)
if tokens < 1 then return {'rate', math.ceil((1 - tokens) * 1000 / rate)} end
redis.call('HSET', KEYS[${k}], 'tokens', tostring(tokens - 1), 'at', now)
redis.call('PEXPIRE', KEYS[${k}], math.ceil(capacity * 1000 / rate) + 1000)`;

/**
 * Shared by the create scripts: the Idempotency-Key hash `KEYS[k]` holds the request's fingerprint,
 * the number and record id handed out, the record's time, and a lease. While the lease runs (the
 * first request is still enqueueing) a duplicate gets `busy`; once the record is enqueued the key is
 * `done` and a duplicate replays the answer; a lease that ran out without `done` (the first request
 * failed or died after taking its number) is taken over: `resend` re-sends the same record, so the
 * consumer's record-id check makes it one record whatever happened to the first attempt.
 */
const IDEMPOTENCY_LOOKUP = (k: number, fingerprint: string, now: string, lease: string) => `
local held = redis.call('HMGET', KEYS[${k}], 'fp', 'state', 'until', 'value', 'rid', 'at')
if held[1] then
  if held[1] ~= ${fingerprint} then return {'mismatch'} end
  if held[2] == 'done' then return {'done', held[4], held[5], held[6]} end
  if tonumber(held[3]) > ${now} then return {'busy', tonumber(held[3]) - ${now}} end
  redis.call('HSET', KEYS[${k}], 'until', ${now} + tonumber(${lease}))
  return {'resend', held[4], held[5], held[6]}
end`;

const IDEMPOTENCY_CLAIM = (k: number, fingerprint: string, now: string, lease: string, value: string, rid: string, at: string, ttl: string) => `
redis.call('HSET', KEYS[${k}], 'fp', ${fingerprint}, 'state', 'pending', 'until', ${now} + tonumber(${lease}), 'value', ${value}, 'rid', ${rid}, 'at', ${at})
redis.call('EXPIRE', KEYS[${k}], ${ttl})`;

/**
 * KEYS: app hash, rate bucket, idempotency key (unused when ARGV[4] is '0').
 * ARGV: chat number (0: create a chat), bucket capacity, refill per second, has key, fingerprint,
 * record id, record time, lease ms, key ttl s.
 * Replies: {'ok', n} | {'rate', retry ms} | {'application'} | {'chat'} | {'mismatch'} | {'busy', ms}
 * | {'done', n, rid, at} | {'resend', n, rid, at}.
 */
const CREATE = `
${NOW}
${TAKE_TOKEN(2, 'ARGV[2]', 'ARGV[3]')}
if ARGV[4] == '1' then
${IDEMPOTENCY_LOOKUP(3, 'ARGV[5]', 'now', 'ARGV[8]')}
end
local chats = tonumber(redis.call('HGET', KEYS[1], 'chats'))
if not chats then return {'application'} end
local chat = tonumber(ARGV[1])
local number
if chat == 0 then
  number = redis.call('HINCRBY', KEYS[1], 'chats', 1)
else
  if chat > chats then return {'chat'} end
  number = redis.call('HINCRBY', KEYS[1], 'm:' .. ARGV[1], 1)
end
if ARGV[4] == '1' then
${IDEMPOTENCY_CLAIM(3, 'ARGV[5]', 'now', 'ARGV[8]', 'number', 'ARGV[6]', 'ARGV[7]', 'ARGV[9]')}
end
return {'ok', number}`;

/** One token of the bucket `KEYS[1]`. ARGV: capacity, refill per second. Replies {'ok'} | {'rate', retry ms}. */
const TAKE_ONE = `
${NOW}
${TAKE_TOKEN(1, 'ARGV[1]', 'ARGV[2]')}
return {'ok'}`;

/**
 * POST /apps has no token: its Idempotency-Keys are global, one hash each. KEYS: the key.
 * ARGV: fingerprint, token, record time, lease ms, ttl s. Replies as CREATE ('ok' claims the key).
 */
const CLAIM_APP = `
${NOW}
${IDEMPOTENCY_LOOKUP(1, 'ARGV[1]', 'now', 'ARGV[4]')}
${IDEMPOTENCY_CLAIM(1, 'ARGV[1]', 'now', 'ARGV[4]', 'ARGV[2]', 'ARGV[2]', 'ARGV[3]', 'ARGV[5]')}
return {'ok', ARGV[2]}`;

/**
 * Never go backwards: raises each field to at least the given value (per-field max), so concurrent
 * recoveries, heals and creates can only move a counter up. ARGV[1] '1' creates the hash when it is
 * missing (a recovery); '0' only heals an existing one (a consumer must not resurrect a half
 * application: the API's miss path rebuilds it whole).
 */
const RAISE = `
if ARGV[1] == '0' and redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
for i = 2, #ARGV, 2 do
  local current = tonumber(redis.call('HGET', KEYS[1], ARGV[i]))
  if not current or current < tonumber(ARGV[i + 1]) then redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
end
return 1`;

/** A plain next message number (no rate limit, no key): the consumer re-numbering a collided message. */
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

/** The create script's source, for the benchmark's raw floor (the same script, without this adapter). */
export const numberingScripts = { CREATE };

type RedisConnection = Redis | Cluster;
type Scripted = RedisConnection & {
  createNumbered(app: string, bucket: string, key: string, ...args: (string | number)[]): Promise<(string | number)[]>;
  claimAppKey(key: string, ...args: (string | number)[]): Promise<(string | number)[]>;
  raiseCounters(app: string, ...args: (string | number)[]): Promise<number>;
  nextMessageNumber(app: string, chatNumber: number): Promise<number>;
  nextEditVersion(app: string, chatNumber: number, number: number): Promise<number>;
  takeOneToken(bucket: string, capacity: number, perSecond: number): Promise<(string | number)[]>;
};

export const appKey = (token: string) => `{app:${token}}`;
const bucketKey = (token: string) => `${appKey(token)}:rate`;
const idempotencyKey = (token: string, key: string) => `${appKey(token)}:idem:${key}`;
const appIdempotencyKey = (key: string) => `{apps-idem:${key}}`;
const MISS_CONFIRMATIONS_BUCKET = '{miss-confirmations}';

/** What the create routes share: the rate limit and the Idempotency-Key settings; and the miss limit. */
export interface CreateLimits {
  /** Token bucket per application token: burst size and refill per second. */
  burst: number;
  perSecond: number;
  /** How long a key lives (24 h) and how long a first request holds it before a retry takes over. */
  keyTtlSeconds: number;
  leaseMs: number;
  /**
   * One bucket for every token: how many misses per second may be confirmed against MySQL. The
   * per-token bucket cannot bound that alone, since every unknown token starts with a full one.
   */
  missConfirmations: { burst: number; perSecond: number };
}

export const DEFAULT_LIMITS: CreateLimits = {
  burst: 2000,
  perSecond: 1000,
  keyTtlSeconds: 24 * 3600,
  leaseMs: 10_000,
  missConfirmations: { burst: 1000, perSecond: 500 },
};

/** A token taken from a bucket, or how long until the bucket has one again. */
export type Allowance = { ok: true } | { rateLimited: { retryAfterMs: number } };

/** An Idempotency-Key as the counters see it: the key and the fingerprint of the request it names. */
export interface IdempotencyClaim {
  key: string;
  fingerprint: string;
}

/** The record a create is about to enqueue: its id and time, stored with an Idempotency-Key. */
export interface NewRecord {
  recordId: string;
  createdAt: string;
}

/**
 * The outcome of a create's round trip. `fresh`: a new number for the caller's record. `resend`: the
 * key's earlier attempt never confirmed, enqueue the stored record again. `replay`: the key's record
 * is enqueued, answer the same. The others are refusals.
 */
export type Numbered =
  | { fresh: { number: number } & NewRecord }
  | { resend: { number: number } & NewRecord }
  | { replay: { number: number } }
  | { missing: 'application' | 'chat' }
  | { rateLimited: { retryAfterMs: number } }
  | { keyMismatch: true }
  | { keyBusy: { retryAfterMs: number } };

export type ClaimedApp =
  | { fresh: { token: string; createdAt: string } }
  | { resend: { token: string; createdAt: string } }
  | { replay: { token: string } }
  | { keyMismatch: true }
  | { keyBusy: { retryAfterMs: number } };

/** The outcome of taking a number without limits or keys: the number, or which parent is unknown. */
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
  /** One round trip: rate limit, Idempotency-Key (when given), parent check and the next number. */
  nextChat(token: string, record: NewRecord, claim?: IdempotencyClaim): Promise<Numbered>;
  nextMessage(token: string, chatNumber: number, record: NewRecord, claim?: IdempotencyClaim): Promise<Numbered>;
  /** Marks a key's record as enqueued: duplicates replay it from now on. */
  confirmKey(token: string, key: string): Promise<void>;
  claimAppKey(claim: IdempotencyClaim, app: { token: string; createdAt: string }): Promise<ClaimedApp>;
  confirmAppKey(key: string): Promise<void>;
  /** Raises counters to at least the given values; `create` false leaves a missing application alone. */
  raise(token: string, counters: Map<string, number>, create: boolean): Promise<void>;
  /** A number for a message the consumer must re-number (no rate limit, no key). */
  renumberMessage(token: string, chatNumber: number): Promise<NextNumber>;
  /** One round trip: checks the message number was handed out and takes its next edit version. */
  nextEditVersion(token: string, chatNumber: number, number: number): Promise<EditVersion>;
  /** One token of the application's bucket, the one its creates take from (same key, same limits). */
  takeApplicationToken(token: string): Promise<Allowance>;
  /** One token of the global bucket of miss confirmations (its own slot: a call of its own). */
  takeMissConfirmationToken(): Promise<Allowance>;
}

function withScripts(redis: RedisConnection): Scripted {
  // defineCommand sends EVALSHA (one round trip), falling back to EVAL once per server restart.
  if (!('createNumbered' in redis)) {
    redis.defineCommand('createNumbered', { numberOfKeys: 3, lua: CREATE });
    redis.defineCommand('claimAppKey', { numberOfKeys: 1, lua: CLAIM_APP });
    redis.defineCommand('raiseCounters', { numberOfKeys: 1, lua: RAISE });
    redis.defineCommand('nextMessageNumber', { numberOfKeys: 1, lua: NEXT_MESSAGE });
    redis.defineCommand('nextEditVersion', { numberOfKeys: 1, lua: NEXT_EDIT_VERSION });
    redis.defineCommand('takeOneToken', { numberOfKeys: 1, lua: TAKE_ONE });
  }
  return redis as Scripted;
}

const redisCall = <T>(call: () => Promise<T>) => guarded('redis', call, isRedisOutage);

function numbered(reply: (string | number)[], record: NewRecord): Numbered {
  const [kind, a, b, c] = reply;
  switch (kind) {
    case 'ok':
      return { fresh: { number: Number(a), ...record } };
    case 'resend':
      return { resend: { number: Number(a), recordId: String(b), createdAt: String(c) } };
    case 'done':
      return { replay: { number: Number(a) } };
    case 'application':
    case 'chat':
      return { missing: kind };
    case 'rate':
      return { rateLimited: { retryAfterMs: Number(a) } };
    case 'mismatch':
      return { keyMismatch: true };
    case 'busy':
      return { keyBusy: { retryAfterMs: Number(a) } };
    default:
      throw new Error(`unexpected reply from the numbering script: ${JSON.stringify(reply)}`);
  }
}

export function redisCounters(redis: RedisConnection = redisClient(), limits: CreateLimits = DEFAULT_LIMITS): Counters {
  const scripts = withScripts(redis);
  const create = (token: string, chatNumber: number, record: NewRecord, claim?: IdempotencyClaim) =>
    redisCall(() =>
      scripts.createNumbered(
        appKey(token),
        bucketKey(token),
        idempotencyKey(token, claim?.key ?? ''),
        chatNumber,
        limits.burst,
        limits.perSecond,
        claim ? '1' : '0',
        claim?.fingerprint ?? '',
        record.recordId,
        record.createdAt,
        limits.leaseMs,
        limits.keyTtlSeconds,
      ),
    ).then((reply) => numbered(reply, record));
  const takeOne = async (bucket: string, capacity: number, perSecond: number): Promise<Allowance> => {
    const [kind, retryAfterMs] = await redisCall(() => scripts.takeOneToken(bucket, capacity, perSecond));
    return kind === 'rate' ? { rateLimited: { retryAfterMs: Number(retryAfterMs) } } : { ok: true };
  };
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
    nextChat: (token, record, claim) => create(token, 0, record, claim),
    nextMessage: (token, chatNumber, record, claim) => create(token, chatNumber, record, claim),
    async confirmKey(token, key) {
      await redisCall(() => redis.hset(idempotencyKey(token, key), 'state', 'done'));
    },
    async claimAppKey(claim, app) {
      const reply = await redisCall(() =>
        scripts.claimAppKey(appIdempotencyKey(claim.key), claim.fingerprint, app.token, app.createdAt, limits.leaseMs, limits.keyTtlSeconds),
      );
      const [kind, a, , c] = reply;
      if (kind === 'ok') return { fresh: app };
      if (kind === 'resend') return { resend: { token: String(a), createdAt: String(c) } };
      if (kind === 'done') return { replay: { token: String(a) } };
      if (kind === 'mismatch') return { keyMismatch: true };
      if (kind === 'busy') return { keyBusy: { retryAfterMs: Number(a) } };
      throw new Error(`unexpected reply from the key script: ${JSON.stringify(reply)}`);
    },
    async confirmAppKey(key) {
      await redisCall(() => redis.hset(appIdempotencyKey(key), 'state', 'done'));
    },
    async raise(token, counters, create) {
      const args = [...counters].flatMap(([field, value]) => [field, value]);
      await redisCall(() => scripts.raiseCounters(appKey(token), create ? '1' : '0', ...args));
    },
    async renumberMessage(token, chatNumber) {
      const result = await redisCall(() => scripts.nextMessageNumber(appKey(token), chatNumber));
      return result === -1 ? { missing: 'application' } : result === 0 ? { missing: 'chat' } : { number: result };
    },
    async nextEditVersion(token, chatNumber, number) {
      const result = Number(await redisCall(() => scripts.nextEditVersion(appKey(token), chatNumber, number)));
      if (result === -1) return { missing: 'application' };
      if (result === 0) return { missing: 'chat' };
      if (result === -2) return { missing: 'message' };
      return { version: result };
    },
    takeApplicationToken: (token) => takeOne(bucketKey(token), limits.burst, limits.perSecond),
    takeMissConfirmationToken: () => takeOne(MISS_CONFIRMATIONS_BUCKET, limits.missConfirmations.burst, limits.missConfirmations.perSecond),
  };
}
