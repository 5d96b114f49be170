import { log, tokenRef } from '../../shared/http/log';
import { httpHandler } from '../../shared/http/handler';
import { ok } from '../../shared/http/responses';
import { NotFound, ServiceUnavailable } from '../../shared/domain/errors';
import { httpEvent, lambdaContext } from '../helpers/events';

const TOKEN = 'tX3b9vQ2mJ0cYk1sZr7dLw5pHq8nFe4a';
const lines = () =>
  [console.log, console.warn, console.error].flatMap((fn) => (fn as jest.Mock).mock.calls.map((args) => String(args[0])));

describe('the application token never reaches a log line', () => {
  beforeEach(() => {
    for (const level of ['log', 'warn', 'error'] as const) jest.spyOn(console, level).mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('a short hash of the token stands in for it, the same for every line of one application', () => {
    expect(tokenRef(TOKEN)).toMatch(/^token#[0-9a-f]{8}$/);
    expect(tokenRef(TOKEN)).toBe(tokenRef(TOKEN));
    expect(tokenRef(TOKEN)).not.toBe(tokenRef(`${TOKEN.slice(1)}x`));
  });

  it('the access-log line of a request: path redacted, hash kept', async () => {
    const path = `/api/v1/apps/${TOKEN}/chats/1/messages`;
    const handler = httpHandler(async () => ok({}));

    await handler(httpEvent({ rawPath: path, pathParameters: { token: TOKEN } }), lambdaContext);

    const [line] = lines();
    expect(line).not.toContain(TOKEN);
    expect(JSON.parse(line!).path).toBe(`/api/v1/apps/${tokenRef(TOKEN)}/chats/1/messages`);
  });

  it('an error logged for a request (its message, its cause) is redacted too', async () => {
    const handler = httpHandler(async () => {
      throw new ServiceUnavailable('redis', new Error(`EVALSHA on {app:${TOKEN}} failed; application ${TOKEN} unknown`));
    });

    await handler(httpEvent({ rawPath: `/api/v1/apps/${TOKEN}/chats` }), lambdaContext);

    expect(lines().length).toBeGreaterThanOrEqual(2);
    for (const line of lines()) expect(line).not.toContain(TOKEN);
    expect(lines().join('\n')).toContain(tokenRef(TOKEN));
  });

  it('fields named token and nested text are redacted', () => {
    log('warn', 'record failed', { token: TOKEN, reason: new NotFound('application', TOKEN).message, nested: { key: `{app:${TOKEN}}` } });

    const [line] = lines();
    expect(line).not.toContain(TOKEN);
    expect(JSON.parse(line!)).toMatchObject({ token: tokenRef(TOKEN), reason: `application ${tokenRef(TOKEN)} not found` });
  });
});
