import { randomBytes } from 'node:crypto';
import { ensureMessagesIndex } from '../../shared/adapters/search-index';
import { api } from '../helpers/api';
import { givenApp, givenChat } from '../helpers/fixtures';
import { givenMessages } from '../helpers/search';

/*
 * Search rules through HTTP against the real node: ranking that depends only on the asked chat
 * (issue 13 point 6), one-character queries (issue 12 point 3), optional Arabic marks (issue 13 point 7)
 * and `fuzzy=true`. Words of the ranking test are random per run: the test stage's index outlives runs, and shared words
 * would make one run's documents part of the next run's statistics.
 */

const searchPath = (token: string, chat: number, query: Record<string, string>, route = 'search') =>
  `/api/v1/apps/${token}/chats/${chat}/messages/${route}?${new URLSearchParams(query).toString()}`;

/** The numbers a search answers, in order, after checking it is a 200 whose total agrees. */
async function numbers(token: string, chat: number, query: Record<string, string>): Promise<number[]> {
  const response = await api('GET', searchPath(token, chat, query));
  expect({ query, status: response.status }).toEqual({ query, status: 200 });
  return (response.body.data as { number: number }[]).map((hit) => hit.number);
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

describe('one-character queries: from the first keystroke', () => {
  let token: string;
  let chat: number;

  beforeAll(async () => {
    token = await givenApp('one character');
    chat = await givenChat(token);
    await givenMessages(token, chat, [
      'hello there',
      'oh hi',
      'what? #tag - item 0',
      '我们去北京',
      'party 🎉',
      'nothing',
    ]);
  });

  it('find the messages containing the character, words starting with it first, then by number', async () => {
    // 1 and 2 have a word starting with h; 3 and 6 contain an h inside a word.
    expect(await numbers(token, chat, { q: 'h' })).toEqual([1, 2, 3, 6]);
    expect(await numbers(token, chat, { q: 'H' })).toEqual([1, 2, 3, 6]);
  });

  it.each([
    ['?', [3]],
    ['#', [3]],
    ['-', [3]],
    ['0', [3]],
    ['北', [4]],
    ['🎉', [5]],
    ['z', []],
  ])('%s is a valid query of any script or punctuation', async (q, expected) => {
    expect(await numbers(token, chat, { q })).toEqual(expected);
  });

  it('are paged and counted like any search, on both routes, and marked in the highlight', async () => {
    const page = await api('GET', searchPath(token, chat, { q: 'h', page: '2', limit: '2' }));
    const autocomplete = await api('GET', searchPath(token, chat, { keyword: 'h', page: '2', limit: '2' }, 'autocomplete'));
    const question = await api('GET', searchPath(token, chat, { q: '?' }));

    expect(page.status).toBe(200);
    expect(page.body).toMatchObject({ page: 2, limit: 2, total: 4 });
    expect(page.body.data.map((hit: { number: number }) => hit.number)).toEqual([3, 6]);
    expect(autocomplete.body).toEqual(page.body);
    expect(question.body.data[0].highlight).toEqual(['what<em>?</em> #tag - item 0']);
  });

  it('a one-character word next to a longer one is ignored', async () => {
    expect(await numbers(token, chat, { q: 'h hello' })).toEqual([1]);
  });
});

describe('optional Arabic marks in the query (issue 13 point 7)', () => {
  let token: string;
  let chat: number;

  beforeAll(async () => {
    token = await givenApp('arabic marks');
    chat = await givenChat(token);
    await givenMessages(token, chat, ['كتبً رسالة zebraquux', 'مَرْحَبًا يا صديقي', 'nothing arabic here']);
  });

  it('a word that is one letter once its marks are dropped is a one-character query: بً finds the message holding it', async () => {
    expect(await numbers(token, chat, { q: 'بً' })).toEqual([1, 2]);
    expect(await numbers(token, chat, { q: 'تبً' })).toEqual([1]);
  });

  it('a word of marks only is ignored, not fatal', async () => {
    expect(await numbers(token, chat, { q: 'zebraquux' })).toEqual([1]);
    expect(await numbers(token, chat, { q: 'zebraquux ًً' })).toEqual([1]);
  });

  it('a query of marks only is 200 with no results; a blank one is still 400', async () => {
    const marks = await api('GET', searchPath(token, chat, { q: 'ًً ـ' }));
    const blank = await api('GET', searchPath(token, chat, { q: ' ' }));

    expect(marks.status).toBe(200);
    expect(marks.body).toEqual({ data: [], page: 1, limit: 20, total: 0 });
    expect(blank.status).toBe(400);
  });

  it('words with and without marks find each other, and rank as whole words', async () => {
    expect(await numbers(token, chat, { q: 'مرحبا' })).toEqual([2]);
    expect(await numbers(token, chat, { q: 'رسالةٌ' })).toEqual([1]);
  });
});

describe('fuzzy=true: one edit per word of four characters or more', () => {
  let token: string;
  let chat: number;

  beforeAll(async () => {
    token = await givenApp('fuzzy');
    chat = await givenChat(token);
    await givenMessages(token, chat, ['I will receive it tomorrow', 'recieve is a common typo', 'the receiver unit', 'a cat and a hat']);
  });

  it('adds words one edit away, ranked below the exact matches', async () => {
    expect(await numbers(token, chat, { q: 'recieve' })).toEqual([2]);
    expect(await numbers(token, chat, { q: 'recieve', fuzzy: 'true' })).toEqual([2, 1]);
    expect(await numbers(token, chat, { q: 'recieve', fuzzy: 'false' })).toEqual([2]);
    // A substring still ranks above a word one edit away.
    expect(await numbers(token, chat, { q: 'receiv', fuzzy: 'true' })).toEqual([1, 3]);
    expect(await numbers(token, chat, { q: 'tomorow', fuzzy: 'true' })).toEqual([1]);
  });

  it('never for words shorter than four characters', async () => {
    expect(await numbers(token, chat, { q: 'cot', fuzzy: 'true' })).toEqual([]);
  });

  it('marks the word it matched', async () => {
    const response = await api('GET', searchPath(token, chat, { q: 'recieve', fuzzy: 'true' }));

    expect(response.body.data[1].highlight).toEqual(['I will <em>receive</em> it tomorrow']);
  });

  it('fuzzy must be true or false', async () => {
    const response = await api('GET', searchPath(token, chat, { q: 'recieve', fuzzy: 'yes' }));

    expect(response.status).toBe(400);
    expect(response.body.error.message).toMatch(/fuzzy/);
  });
});
