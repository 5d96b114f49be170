import { z } from 'zod';
import { Content, Token } from './schemas';

/**
 * Queue records: what the API enqueues and the consumers persist. Each carries its `type` so a
 * queue can carry new kinds of record later without breaking old consumers.
 */
const Timestamp = z.iso.datetime();
const PositiveInt = z.number().int().positive().max(2 ** 31 - 1);
/** The id of the request that enqueued the record (API Gateway's request id), for the consumer's logs. */
const Correlation = { correlationId: z.string().min(1).max(200).optional() };

export const ChatRecord = z.object({
  type: z.literal('chat.created'),
  token: Token,
  number: PositiveInt,
  createdAt: Timestamp,
  ...Correlation,
});
export type ChatRecord = z.infer<typeof ChatRecord>;

/** What identifies a message and its content, in every message record. */
const MessageFields = { token: Token, chatNumber: PositiveInt, number: PositiveInt, content: Content, ...Correlation };

export const MessageCreatedRecord = z.object({ type: z.literal('message.created'), ...MessageFields, createdAt: Timestamp });
export type MessageCreatedRecord = z.infer<typeof MessageCreatedRecord>;

/** An edit of a message's content; `updatedAt` orders edits (the latest one wins, whatever the delivery order). */
export const MessageUpdatedRecord = z.object({ type: z.literal('message.updated'), ...MessageFields, updatedAt: Timestamp });
export type MessageUpdatedRecord = z.infer<typeof MessageUpdatedRecord>;

/** What the messages queue carries. */
export const MessageRecord = z.discriminatedUnion('type', [MessageCreatedRecord, MessageUpdatedRecord]);
export type MessageRecord = z.infer<typeof MessageRecord>;
