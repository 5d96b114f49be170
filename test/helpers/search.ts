import { randomBytes } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import { createConnection, type Connection, type ResultSetHeader } from 'mysql2/promise';
import { mysqlOptions } from '../../shared/adapters/mysql';
import { defaultSearchTarget, refreshMessagesIndex, type SearchTarget } from '../../shared/adapters/search-index';
import { persistedMessageNumbers } from './db';
import { eventually } from './eventually';
import { givenMessage } from './fixtures';
import { chatRouting, messageDocumentId, messagesAlias, type MessageDocument, type SearchableMessage } from '../../shared/domain/search';

/** An application token nobody else uses, shaped like the real ones (128 random bits, base64url). */
export const uniqueToken = () => randomBytes(16).toString('base64url');

/** A search target on the test stage's node with a prefix of its own, for tests that move aliases. */
export function isolatedTarget(name: string): SearchTarget {
  return { client: new Client({ node: process.env.OPENSEARCH_URL!, requestTimeout: 30_000 }), prefix: `test_${name}_${randomBytes(3).toString('hex')}_` };
}

export async function dropTarget(target: SearchTarget): Promise<void> {
  await target.client.indices.delete({ index: `${target.prefix}messages_v*` }, { ignore: [404] });
  await target.client.close();
}

const BASE_TIME = Date.parse('2025-03-01T12:00:00.000Z');

/** A message as the consumer would hand it to the index; times derive from the number unless given. */
export function searchable(token: string, chatNumber: number, number: number, content: string, updatedAt?: string): SearchableMessage {
  const createdAt = new Date(BASE_TIME + number * 1000).toISOString();
  return { token, chatNumber, number, content, createdAt, updatedAt: updatedAt ?? createdAt };
}

export const testDatabase = (): Promise<Connection> => createConnection(mysqlOptions());

/** Writes the applications, chats and messages rows of the given messages, as the consumers would. */
export async function seedMessages(db: Connection, messages: SearchableMessage[]): Promise<void> {
  const appIds = new Map<string, number>();
  const chatIds = new Map<string, number>();
  for (const message of messages) {
    if (!appIds.has(message.token)) {
      const [app] = await db.query<ResultSetHeader>('INSERT INTO applications (token, name) VALUES (?, ?)', [message.token, 'search test']);
      appIds.set(message.token, app.insertId);
    }
    const chatKey = `${message.token}:${message.chatNumber}`;
    if (!chatIds.has(chatKey)) {
      const [chat] = await db.query<ResultSetHeader>('INSERT INTO chats (application_id, number, created_at, updated_at) VALUES (?, ?, ?, ?)', [
        appIds.get(message.token),
        message.chatNumber,
        new Date(message.createdAt),
        new Date(message.createdAt),
      ]);
      chatIds.set(chatKey, chat.insertId);
    }
    await db.query('INSERT INTO messages (chat_id, number, content, created_at, updated_at) VALUES (?, ?, ?, ?, ?)', [
      chatIds.get(chatKey),
      message.number,
      message.content,
      new Date(message.createdAt),
      new Date(message.updatedAt),
    ]);
  }
}

/** Makes every write so far visible to searches: `_refresh` on the test stage's alias. */
export const refreshSearch = () => refreshMessagesIndex(defaultSearchTarget());

/** Documents of one chat in the test stage's index (by its routing and terms), after a refresh. */
export async function chatDocumentCount(token: string, chatNumber: number, target: SearchTarget = defaultSearchTarget()): Promise<number> {
  await refreshMessagesIndex(target);
  const { body } = await target.client.count({
    index: messagesAlias(target.prefix),
    routing: chatRouting(token, chatNumber),
    body: { query: { bool: { filter: [{ term: { token } }, { term: { chat_number: chatNumber } }] } } },
  });
  return body.count;
}

/** The indexed document of one message, or undefined. */
export async function indexedMessage(token: string, chatNumber: number, number: number): Promise<MessageDocument | undefined> {
  const target = defaultSearchTarget();
  const { body, statusCode } = await target.client.get(
    { index: messagesAlias(target.prefix), id: messageDocumentId(token, chatNumber, number), routing: chatRouting(token, chatNumber) },
    { ignore: [404] },
  );
  return statusCode === 404 ? undefined : (body._source as unknown as MessageDocument);
}

/** Given messages posted through the API, waits until MySQL holds them and the index shows them. */
export async function givenMessages(token: string, chat: number, contents: string[]): Promise<number[]> {
  const created: number[] = [];
  for (const content of contents) created.push(await givenMessage(token, chat, content));
  await eventually(async () => expect(await persistedMessageNumbers(token, chat)).toEqual(expect.arrayContaining(created)));
  await eventually(async () => expect(await chatDocumentCount(token, chat)).toBeGreaterThanOrEqual(created.length));
  return created;
}
