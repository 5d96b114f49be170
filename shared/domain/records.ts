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

/**
 * The id the API gives every create record (a UUID). A redelivery carries the same id; the same
 * (parent, number) under another id is a collision (DESIGN invariant 4). Records queued before ids
 * existed have none: the consumer uses their SQS messageId instead (see recordIdOf).
 */
const RecordId = z.string().min(1).max(64).regex(/^[\x21-\x7e]+$/);

export const ChatRecord = z.object({
  type: z.literal('chat.created'),
  id: RecordId.optional(),
  token: Token,
  number: PositiveInt,
  createdAt: Timestamp,
  ...Correlation,
});
export type ChatRecord = z.infer<typeof ChatRecord>;

/** What identifies a message and its content, in every message record. */
const MessageFields = { token: Token, chatNumber: PositiveInt, number: PositiveInt, content: Content, ...Correlation };

export const MessageCreatedRecord = z.object({ type: z.literal('message.created'), id: RecordId.optional(), ...MessageFields, createdAt: Timestamp });
export type MessageCreatedRecord = z.infer<typeof MessageCreatedRecord>;

/**
 * An edit of a message's content. `editVersion` orders the edits of one message (the highest wins,
 * whatever the delivery order): taken from Redis when the edit was accepted, monotonic per message
 * (see counters.ts), in microseconds. Records queued before it existed are ordered by `updatedAt`
 * (editVersionOf), in the same unit.
 */
export const MessageUpdatedRecord = z.object({
  type: z.literal('message.updated'),
  ...MessageFields,
  updatedAt: Timestamp,
  editVersion: z.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional(),
});
export type MessageUpdatedRecord = z.infer<typeof MessageUpdatedRecord>;

/** The version ordering an edit: its own, or its time in microseconds for records without one. */
export const editVersionOf = (record: MessageUpdatedRecord): number => record.editVersion ?? Date.parse(record.updatedAt) * 1000;

/** What the messages queue carries. */
export const MessageRecord = z.discriminatedUnion('type', [MessageCreatedRecord, MessageUpdatedRecord]);
export type MessageRecord = z.infer<typeof MessageRecord>;

/** A create record's id: its own, or for a record queued before ids existed, its SQS messageId. */
export const recordIdOf = (record: { id?: string }, messageId: string) => record.id ?? messageId;
