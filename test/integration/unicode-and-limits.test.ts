import { api } from '../helpers/api';
import { rows } from '../helpers/db';
import { eventually } from '../helpers/eventually';
import { givenApp, givenChat, givenMessage } from '../helpers/fixtures';
import { indexedMessage } from '../helpers/search';

const messagesOf = (token: string, chat: number) => `/api/v1/apps/${token}/chats/${chat}/messages`;
const json = { 'content-type': 'application/json' };

async function storedContent(token: string, chat: number, number: number): Promise<string | undefined> {
  const [row] = await rows<{ content: string }>(
    `SELECT m.content FROM messages m JOIN chats c ON c.id = m.chat_id JOIN applications a ON a.id = c.application_id
      WHERE a.token = ? AND c.number = ? AND m.number = ?`,
    [token, chat, number],
  );
  return row?.content;
}

/** Waits until MySQL, the search index and the API all hold `content` for the message. */
async function expectStoredEverywhere(token: string, chat: number, number: number, content: string) {
  await eventually(async () => expect(await storedContent(token, chat, number)).toBe(content));
  await eventually(async () => expect((await indexedMessage(token, chat, number))?.content).toBe(content));
  const fetched = await api('GET', `${messagesOf(token, chat)}/${number}`);
  expect(fetched.body.content).toBe(content);
  const page = await api('GET', messagesOf(token, chat));
  expect(page.body.data.find((m: { number: number }) => m.number === number)?.content).toBe(content);
}

// SQS carries only #x9 | #xA | #xD | #x20–#xD7FF | #xE000–#xFFFD | #x10000–#x10FFFF; every
// well-formed Unicode text is valid content all the same.
const OUTSIDE_SQS = 'nonchars \uFFFE and \uFFFF, controls \u0001\u0008\u000B\u000C\u001F\u007F\u0085, tab\tand\r\nnew line, NUL \u0000, 😀';

describe('content SQS cannot carry as is (issue 13.1)', () => {
  it('POST with U+FFFE, U+FFFF and control characters → 201, stored as sent in MySQL, OpenSearch and the API', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);

    const response = await api('POST', messagesOf(token, chat), { body: { content: OUTSIDE_SQS } });

    expect(response.status).toBe(201);
    await expectStoredEverywhere(token, chat, response.body.number, OUTSIDE_SQS);
  });

  it('PUT with U+FFFE, U+FFFF and control characters → 202, and the edit is stored as sent everywhere', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const number = await givenMessage(token, chat, 'plain first version');
    const edited = `edited: ${OUTSIDE_SQS}`;

    const response = await api('PUT', `${messagesOf(token, chat)}/${number}`, { body: { content: edited } });

    expect(response.status).toBe(202);
    await expectStoredEverywhere(token, chat, number, edited);
  });

  it('no number is burnt: the next message after one with U+FFFF takes the next number', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);

    expect((await api('POST', messagesOf(token, chat), { body: { content: 'x \uFFFF y' } })).body).toEqual({ number: 1 });
    expect((await api('POST', messagesOf(token, chat), { body: { content: 'next' } })).body).toEqual({ number: 2 });
  });
});

describe('ill-formed UTF-16 (issue 13.2)', () => {
  it.each([
    ['a lone high surrogate', '{"content":"lone \\ud800 surrogate"}'],
    ['a lone low surrogate', '{"content":"lone \\udc00 surrogate"}'],
    ['a reversed pair', '{"content":"\\ude00\\ud83d"}'],
  ])('message content with %s → 400 validation_error, on POST and PUT', async (_case, rawBody) => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const number = await givenMessage(token, chat, 'fine');

    const created = await api('POST', messagesOf(token, chat), { rawBody, headers: json });
    const edited = await api('PUT', `${messagesOf(token, chat)}/${number}`, { rawBody, headers: json });

    for (const response of [created, edited]) {
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('validation_error');
      expect(response.body.error.message).toMatch(/content/);
    }
  });

  it('an application name with a lone surrogate → 400 validation_error, on POST and PUT', async () => {
    const token = await givenApp();
    const rawBody = '{"name":"app \\udfff"}';

    const created = await api('POST', '/api/v1/apps', { rawBody, headers: json });
    const renamed = await api('PUT', `/api/v1/apps/${token}`, { rawBody, headers: json });

    for (const response of [created, renamed]) {
      expect(response.status).toBe(400);
      expect(response.body.error.code).toBe('validation_error');
      expect(response.body.error.message).toMatch(/name/);
    }
  });

  it('a well-formed pair written as escapes is a character, accepted', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);

    const response = await api('POST', messagesOf(token, chat), { rawBody: '{"content":"pair \\ud83d\\ude00"}', headers: json });

    expect(response.status).toBe(201);
  });
});

describe('the request body limit admits every valid message (issue 13.5)', () => {
  /** JSON as Python's json.dumps writes it by default: every non-ASCII character as \uXXXX (pairs beyond the BMP). */
  const asciiJson = (value: unknown) => JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

  it('10,000 emoji, each escaped as a \\uXXXX surrogate pair (~120 KB) → 201 on POST and 202 on PUT', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    const rawBody = asciiJson({ content: '😀'.repeat(10_000) });
    expect(Buffer.byteLength(rawBody)).toBeGreaterThan(120_000);

    const created = await api('POST', messagesOf(token, chat), { rawBody, headers: json });
    const edited = await api('PUT', `${messagesOf(token, chat)}/${created.body.number}`, { rawBody, headers: json });

    expect(created.status).toBe(201);
    expect(edited.status).toBe(202);
  });

  it('a body over 128 KiB → 413 payload_too_large', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);

    const response = await api('POST', messagesOf(token, chat), { rawBody: JSON.stringify({ content: 'x', pad: 'y'.repeat(128 * 1024) }), headers: json });

    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });
});
