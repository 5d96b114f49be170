import type { Counters } from '../adapters/counters';
import type { RecordQueue } from '../adapters/sqs';
import type { ChatStore } from '../adapters/stores/chats';
import type { MessageStore } from '../adapters/stores/messages';
import { NotFound } from '../domain/errors';
import type { ChatRecord, MessageRecord } from '../domain/records';
import type { Chat, Message, Paging } from '../domain/schemas';
import { currentCorrelationId } from '../observability/logger';
import type { Clock } from './clock';

export interface ChatDeps {
  counters: Counters;
  queue: RecordQueue;
  chats: ChatStore;
  messages: MessageStore;
  clock: Clock;
}

/**
 * Creating a chat or a message is one Redis round trip (validate the parent and take the next number,
 * atomically) and one SQS SendMessage; MySQL is written later by the consumers. The number is
 * returned only after SQS accepted the record. If SQS fails, the number is burnt (a gap the client
 * was told about with a 503), never handed out twice.
 */
export const chatService = ({ counters, queue, chats, messages, clock }: ChatDeps) => ({
  async createChat(token: string): Promise<number> {
    const next = await counters.nextChat(token);
    if ('missing' in next) throw new NotFound('application', token);
    const record: ChatRecord = {
      type: 'chat.created',
      token,
      number: next.number,
      createdAt: clock.now().toISOString(),
      correlationId: currentCorrelationId(),
    };
    await queue.send('chats', record);
    return next.number;
  },

  async createMessage(token: string, chatNumber: number, content: string): Promise<number> {
    const next = await counters.nextMessage(token, chatNumber);
    if ('missing' in next) throw next.missing === 'application' ? new NotFound('application', token) : new NotFound('chat', chatNumber);
    const record: MessageRecord = {
      type: 'message.created',
      token,
      chatNumber,
      number: next.number,
      content,
      createdAt: clock.now().toISOString(),
      correlationId: currentCorrelationId(),
    };
    await queue.send('messages', record);
    return next.number;
  },

  /**
   * Accepts an edit: one read-only Redis round trip says the message number was handed out (its row
   * may not be in MySQL yet), one SendMessage enqueues the edit. The consumer applies it to MySQL
   * (the latest `updatedAt` wins) and re-indexes the message. No MySQL on the request path.
   */
  async updateMessage(token: string, chatNumber: number, number: number, content: string): Promise<void> {
    const numbering = await counters.chatNumbering(token, chatNumber);
    if ('missing' in numbering) throw numbering.missing === 'application' ? new NotFound('application', token) : new NotFound('chat', chatNumber);
    if (number > numbering.lastMessage) throw new NotFound('message', number);
    const record: MessageRecord = {
      type: 'message.updated',
      token,
      chatNumber,
      number,
      content,
      updatedAt: clock.now().toISOString(),
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
});

export type ChatService = ReturnType<typeof chatService>;
