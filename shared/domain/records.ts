import { z } from 'zod';

/** Queue records: what the API enqueues and the consumers persist. Versioned by `type`. */
export const ChatRecord = z.object({
  type: z.literal('chat.created'),
  token: z.string().min(1).max(64),
  number: z.number().int().positive(),
  createdAt: z.iso.datetime(),
});
export type ChatRecord = z.infer<typeof ChatRecord>;

export const MessageRecord = z.object({
  type: z.literal('message.created'),
  token: z.string().min(1).max(64),
  chatNumber: z.number().int().positive(),
  number: z.number().int().positive(),
  content: z.string().min(1),
  createdAt: z.iso.datetime(),
});
export type MessageRecord = z.infer<typeof MessageRecord>;
