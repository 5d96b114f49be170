import { request } from 'node:http';
import { api } from '../helpers/api';
import { eventually } from '../helpers/eventually';
import { givenApp, givenChat, givenMessage } from '../helpers/fixtures';
import { persistedMessageNumbers } from '../helpers/db';
import { readFileSync } from 'node:fs';
import { localPorts } from '../../infra/local/environment';
import { logPath } from '../../infra/local/paths';
import { tokenRef } from '../../shared/http/log';

describe('HTTP edges (issue 13.10)', () => {
  it('a GET with a body that is not JSON is answered as a GET: the body is ignored, no 415', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    await givenMessage(token, chat, 'hello');
    await eventually(async () => expect(await persistedMessageNumbers(token, chat)).toEqual([1]));

    // fetch refuses a GET body; a raw request is what some clients send.
    const response = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request(`${process.env.TEST_API_URL}/api/v1/apps/${token}/chats/${chat}/messages/1`, {
        method: 'GET',
        headers: { 'content-type': 'text/plain', 'content-length': '8' },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (part) => (body += part));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject);
      req.end('not json');
    });

    expect(response.status).toBe(200);
    expect(JSON.parse(response.body).content).toBe('hello');
  });

  it('CORS lets browsers read Retry-After and the idempotency and rate-limit headers', async () => {
    const origin = 'https://app.example';
    const preflight = await fetch(`${process.env.TEST_API_URL}/api/v1/apps`, {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type,idempotency-key' },
    });
    const simple = await api('GET', '/api/v1/health', { headers: { origin } });

    for (const headers of [preflight.headers, simple.headers]) {
      const exposed = (headers.get('access-control-expose-headers') ?? '').toLowerCase().split(/\s*,\s*/);
      expect(exposed).toEqual(expect.arrayContaining(['retry-after', 'idempotency-replayed', 'ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset']));
    }
    expect((preflight.headers.get('access-control-allow-headers') ?? '').toLowerCase()).toContain('idempotency-key');
  });

  it('the access log of the API never shows the token, only its short hash (issue 13.9)', async () => {
    const token = await givenApp();
    const chat = await givenChat(token);
    await api('GET', `/api/v1/apps/${token}/chats/${chat}`);
    await api('GET', `/api/v1/apps/${token}/chats/999999`);
    const logFile = logPath(`api-test-${localPorts().testHttp}`);

    // The application's lines are JSON; serverless-offline's own request lines ("GET /api/v1/apps/…
    // (λ: getChat)") are a local development server's output, with no counterpart on AWS.
    const applicationLines = await eventually(() => {
      const lines = readFileSync(logFile, 'utf8').split('\n').filter((line) => line.startsWith('{'));
      expect(lines.join('\n')).toContain(`/api/v1/apps/${tokenRef(token)}/chats/999999`);
      return lines;
    });

    expect(applicationLines.filter((line) => line.includes(token))).toEqual([]);
  });
});
