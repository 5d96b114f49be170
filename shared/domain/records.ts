import { z } from 'zod';
import { Content, Token } from './schemas';

/**
 * Queue records: what the API enqueues and the consumers persist. Each carries its `type` so a
 * queue can carry new kinds of record later without breaking old consumers.
 */
const Timestamp = z.iso.datetime();
const PositiveInt = z.number().int().positive().max(2 ** 31 - 1);

export const ChatRecord = z.object({
  type: z.literal('chat.created'),
  token: Token,
  number: PositiveInt,
  createdAt: Timestamp,
});
export type ChatRecord = z.infer<typeof ChatRecord>;

export const MessageRecord = z.object({
  type: z.literal('message.created'),
  token: Token,
  chatNumber: PositiveInt,
  number: PositiveInt,
  content: Content,
  createdAt: Timestamp,
});
export type MessageRecord = z.infer<typeof MessageRecord>;
