import { localPorts } from '../../infra/local/environment';
import { api } from '../helpers/api';
import { persistedChatNumbers, persistedMessageNumbers } from '../helpers/db';
import { eventually } from '../helpers/eventually';
import { givenApp, givenChat, range } from '../helpers/fixtures';
import { startSecondApi, type SecondApi } from '../helpers/second-api';

/** Two API instances sharing the same Redis, SQS and MySQL, like two servers behind a load balancer. */
describe('numbering under concurrency, across two API instances', () => {
  let second: SecondApi;
  let bases: string[];

  beforeAll(async () => {
    second = await startSecondApi(localPorts().testHttp + 60);
    bases = [process.env.TEST_API_URL!, second.url];
  });
  afterAll(async () => second?.stop());

  it('200 concurrent chat creates for one application → exactly 1..200, and MySQL holds exactly those', async () => {
    const token = await givenApp();

    const responses = await Promise.all(
      range(1, 200).map((i) => api('POST', `/api/v1/apps/${token}/chats`, { baseUrl: bases[i % 2] })),
    );

    expect(responses.map((r) => r.status)).toEqual(Array(200).fill(201));
    expect(responses.map((r) => r.body.number).sort((a, b) => a - b)).toEqual(range(1, 200));
    await eventually(async () => expect(await persistedChatNumbers(token)).toEqual(range(1, 200)), { timeoutMs: 60_000 });
  });

  it('concurrent message creates across several chats → exactly 1..n per chat, persisted exactly', async () => {
    const token = await givenApp();
    const chats = [await givenChat(token), await givenChat(token), await givenChat(token), await givenChat(token)];
    const perChat = 50;

    const responses = await Promise.all(
      chats.flatMap((chat) =>
        range(1, perChat).map((i) =>
          api('POST', `/api/v1/apps/${token}/chats/${chat}/messages`, { baseUrl: bases[i % 2], body: { content: `message ${i} of chat ${chat}` } }).then(
            (response) => ({ chat, response }),
          ),
        ),
      ),
    );

    for (const chat of chats) {
      const numbers = responses.filter((r) => r.chat === chat).map((r) => r.response.body.number);
      expect(numbers.sort((a, b) => a - b)).toEqual(range(1, perChat));
    }
    await eventually(
      async () => {
        for (const chat of chats) expect(await persistedMessageNumbers(token, chat)).toEqual(range(1, perChat));
      },
      { timeoutMs: 60_000 },
    );
  });
});
