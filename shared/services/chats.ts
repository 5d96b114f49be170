import { createHash, randomUUID } from 'node:crypto';
import type { Counters, IdempotencyClaim, Numbered } from '../adapters/counters';
import type { RecordQueue } from '../adapters/sqs';
import type { ChatStore } from '../adapters/stores/chats';
import type { MessageStore } from '../adapters/stores/messages';
import { IdempotencyKeyInFlight, IdempotencyKeyReused, NotFound, RateLimited } from '../domain/errors';
import { describeError, log } from '../http/log';
import type { ChatRecord, MessageRecord } from '../domain/records';
import type { Chat, Message, Paging } from '../domain/schemas';
import { currentCorrelationId } from '../observability/logger';
import { recordMetric } from '../observability/metrics';
import type { Clock } from './clock';
import type { CounterRecovery } from './recovery';

export interface ChatDeps {
  counters: Counters;
  recovery: CounterRecovery;
  queue: RecordQueue;
  chats: ChatStore;
  messages: MessageStore;
  clock: Clock;
  newRecordId?: () => string;
}

/** What identifies a request under an Idempotency-Key: its route and its body. */
export const fingerprint = (...parts: unknown[]) => createHash('sha256').update(JSON.stringify(parts)).digest('base64url');

/** The number a create may enqueue, with the record's id and time; or the number to answer again. */
type Granted = { enqueue: { number: number; recordId: string; createdAt: string } } | { replay: number };

/** Turns the refusals of the numbering script into errors; `missing` is the caller's business. */
function granted(outcome: Exclude<Numbered, { missing: unknown }>): Granted {
  if ('fresh' in outcome) return { enqueue: outcome.fresh };
  if ('resend' in outcome) return { enqueue: outcome.resend };
  if ('replay' in outcome) return { replay: outcome.replay.number };
  if ('rateLimited' in outcome) {
    recordMetric('RateLimited', 1, 'Count', { bucket: 'application' });
    throw new RateLimited(outcome.rateLimited.retryAfterMs);
  }
  if ('keyBusy' in outcome) throw new IdempotencyKeyInFlight(outcome.keyBusy.retryAfterMs);
  throw new IdempotencyKeyReused();
}

/**
 * Creating a chat or a message is one Redis round trip (validate the parent and take the next number,
 * atomically) and one SQS SendMessage; MySQL is written later by the consumers. The number is
 * returned only after SQS accepted the record. If SQS fails, the number is burnt (a gap the client
 * was told about with a 503), never handed out twice.
 */
export const chatService = ({ counters, recovery, queue, chats, messages, clock, newRecordId = randomUUID }: ChatDeps) => {
  /**
   * One numbering round trip; on a miss, the parent is confirmed against MySQL (404 if unknown there
   * too, else the counters are rebuilt) and the round trip is made once more. The round trip took
   * the application's rate-limit token already, so the miss does not take another.
   */
  async function takeNumber(token: string, chatNumber: number | undefined, take: () => Promise<Numbered>): Promise<Granted> {
    let outcome = await take();
    if ('missing' in outcome) {
      await recovery.confirmMiss({ token, chatNumber }, outcome.missing, { applicationTokenTaken: true });
      outcome = await take();
      if ('missing' in outcome) throw outcome.missing === 'application' ? new NotFound('application', token) : new NotFound('chat', chatNumber);
    }
    return granted(outcome);
  }

  /**
   * Enqueues the record, then marks its Idempotency-Key done. If that mark fails the record is
   * enqueued all the same: a retry after the key's lease re-sends the same record id, which the
   * consumer recognises, so the answer stays true either way.
   */
  async function enqueue(token: string, claim: IdempotencyClaim | undefined, send: () => Promise<void>): Promise<void> {
    await send();
    if (!claim) return;
    await counters.confirmKey(token, claim.key).catch((error: unknown) => {
      log('warn', 'could not mark an Idempotency-Key done; a retry will re-send the same record', { token, ...describeError(error) });
    });
  }

  const newRecord = () => ({ recordId: newRecordId(), createdAt: clock.now().toISOString() });
  const claimOf = (key: string | undefined, ...request: unknown[]) => (key === undefined ? undefined : { key, fingerprint: fingerprint(...request) });

  return {
    /** Creates a chat; with an Idempotency-Key, the same key and request answer the same number. */
    async createChat(token: string, idempotencyKey?: string): Promise<number> {
      const claim = claimOf(idempotencyKey, 'chat');
      const grant = await takeNumber(token, undefined, () => counters.nextChat(token, newRecord(), claim));
      if ('replay' in grant) return grant.replay;
      const { number: chatNumber, recordId, createdAt } = grant.enqueue;
      const record: ChatRecord = { type: 'chat.created', id: recordId, token, number: chatNumber, createdAt, correlationId: currentCorrelationId() };
      await enqueue(token, claim, () => queue.send('chats', record));
      return chatNumber;
    },

    async createMessage(token: string, chatNumber: number, content: string, idempotencyKey?: string): Promise<number> {
      const claim = claimOf(idempotencyKey, 'message', chatNumber, content);
      const grant = await takeNumber(token, chatNumber, () => counters.nextMessage(token, chatNumber, newRecord(), claim));
      if ('replay' in grant) return grant.replay;
      const { number: messageNumber, recordId, createdAt } = grant.enqueue;
      const record: MessageRecord = {
        type: 'message.created',
        id: recordId,
        token,
        chatNumber,
        number: messageNumber,
        content,
        createdAt,
        correlationId: currentCorrelationId(),
      };
      await enqueue(token, claim, () => queue.send('messages', record));
      return messageNumber;
    },

    /**
     * Accepts an edit: one Redis round trip says the message number was handed out (its row may not be
     * in MySQL yet) and takes the edit's version, one SendMessage enqueues the edit. The consumer
     * applies it to MySQL (the highest `editVersion` wins, not the containers' clocks) and re-indexes
     * the message. No MySQL on the request path, except to confirm a miss (Redis may have lost data).
     */
    async updateMessage(token: string, chatNumber: number, number: number, content: string): Promise<void> {
      let edit = await counters.nextEditVersion(token, chatNumber, number);
      if ('missing' in edit) {
        await recovery.confirmMiss({ token, chatNumber, messageNumber: number }, edit.missing);
        edit = await counters.nextEditVersion(token, chatNumber, number);
      }
      if ('missing' in edit) {
        throw edit.missing === 'application' ? new NotFound('application', token) : edit.missing === 'chat' ? new NotFound('chat', chatNumber) : new NotFound('message', number);
      }
      const record: MessageRecord = {
        type: 'message.updated',
        token,
        chatNumber,
        number,
        content,
        updatedAt: clock.now().toISOString(),
        editVersion: edit.version,
        correlationId: currentCorrelationId(),
      };
      await queue.send('messages', record);
    },

    async getChat(token: string, number: number): Promise<Chat> {
      const chat = await chats.find(token, number);
      if (!chat) throw new NotFound('chat', number);
      return chat;
    },

    async listChats(token: string, paging: Paging): Promise<Chat[]> {
      const page = await chats.list(token, paging);
      if (!page) throw new NotFound('application', token);
      return page;
    },

    async getMessage(token: string, chatNumber: number, number: number): Promise<Message> {
      const message = await messages.find(token, chatNumber, number);
      if (!message) throw new NotFound('message', number);
      return message;
    },

    async listMessages(token: string, chatNumber: number, paging: Paging): Promise<Message[]> {
      const page = await messages.list(token, chatNumber, paging);
      if ('missing' in page) throw page.missing === 'application' ? new NotFound('application', token) : new NotFound('chat', chatNumber);
      return page.messages;
    },
  };
};

export type ChatService = ReturnType<typeof chatService>;
