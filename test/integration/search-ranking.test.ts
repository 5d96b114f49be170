import { randomBytes } from 'node:crypto';
import { ensureMessagesIndex } from '../../shared/adapters/search-index';
import { api } from '../helpers/api';
import { persistedMessageNumbers } from '../helpers/db';
import { eventually } from '../helpers/eventually';
import { givenApp, givenChat, givenMessage } from '../helpers/fixtures';
import { chatDocumentCount } from '../helpers/search';

/*
 * Search rules through HTTP against the real node: ranking that depends only on the asked chat
 * (issue 13 point 6). Words are random per run: the test stage's index outlives runs, and shared words
 * would make one run's documents part of the next run's statistics.
 */

const searchPath = (token: string, chat: number, query: Record<string, string>) =>
  `/api/v1/apps/${token}/chats/${chat}/messages/search?${new URLSearchParams(query).toString()}`;

/** Given messages posted through the API, waits until MySQL holds them and the index shows them (refreshed). */
async function givenMessages(token: string, chat: number, contents: string[]): Promise<number[]> {
  const created: number[] = [];
  for (const content of contents) created.push(await givenMessage(token, chat, content));
  await eventually(async () => expect(await persistedMessageNumbers(token, chat)).toEqual(expect.arrayContaining(created)));
  await eventually(async () => expect(await chatDocumentCount(token, chat)).toBeGreaterThanOrEqual(created.length));
  return created;
}

/** A word nobody else's documents contain: lowercase letters only, so every analyzer keeps it whole. */
const uniqueWord = (stem: string) =>
  stem +
  [...randomBytes(6)]
    .map((byte) => String.fromCharCode(97 + (byte % 26)))
    .join('');

beforeAll(async () => {
  await ensureMessagesIndex();
});

describe('ranking depends only on the asked chat', () => {
  it("keeps app A's results and order when app B writes messages full of A's words", async () => {
    const [plumbob, quokka] = [uniqueWord('plumbob'), uniqueWord('quokka')];
    const appA = await givenApp('ranking A');
    const chatA = await givenChat(appA);
    // Message 1 has `plumbob` as a word and `quokka` inside a longer word; message 2 the reverse. With
    // index-wide statistics (BM25), the rarer word of the two decides which ranks first.
    await givenMessages(appA, chatA, [
      `a ${plumbob} saw ${quokka}s`,
      `a ${quokka} saw ${plumbob}s`,
      `${quokka} alone`,
      `${quokka} again`,
    ]);
    const query = { q: `${plumbob} ${quokka}` };
    const before = await api('GET', searchPath(appA, chatA, query));
    expect(before.status).toBe(200);
    expect(before.body.data.map((hit: { number: number }) => hit.number)).toEqual([1, 2]);

    const appB = await givenApp('ranking B');
    const chatB = await givenChat(appB);
    await givenMessages(appB, chatB, Array.from({ length: 10 }, (_, i) => `${plumbob} number ${i} ${plumbob}`));
    const after = await api('GET', searchPath(appA, chatA, query));

    expect(after.status).toBe(200);
    expect(after.body).toEqual(before.body);
  });
});
