import { z } from 'zod';
import { NotFound } from '../../shared/domain/errors';
import { httpHandler, MAX_BODY_BYTES } from '../../shared/http/handler';
import { parseBody } from '../../shared/http/parse';
import { ok } from '../../shared/http/responses';
import { httpEvent, lambdaContext } from '../helpers/events';

const NameBody = z.object({ name: z.string().trim().min(1) });
const echo = httpHandler(async (event) => ok(parseBody(NameBody, event)));
const json = { 'content-type': 'application/json' };

const call = async (handler: typeof echo, event = httpEvent()) => {
  const response = await handler(event, lambdaContext);
  return { status: response.statusCode, body: JSON.parse(response.body) };
};

describe('the HTTP middleware stack', () => {
  beforeEach(() => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it('parses a JSON body for the route', async () => {
    expect(await call(echo, httpEvent({ headers: json, body: '{"name":"x"}' }))).toEqual({ status: 200, body: { name: 'x' } });
  });

  it('answers 400 malformed_json for a body that is not JSON', async () => {
    const { status, body } = await call(echo, httpEvent({ headers: json, body: '{"name":' }));

    expect(status).toBe(400);
    expect(body.error.code).toBe('malformed_json');
  });

  it('answers 415 for a body that is not application/json', async () => {
    const { status, body } = await call(echo, httpEvent({ headers: { 'Content-Type': 'text/plain' }, body: 'name=x' }));

    expect(status).toBe(415);
    expect(body.error.code).toBe('unsupported_media_type');
  });

  it('answers 413 for a body over 64 KiB', async () => {
    const body = JSON.stringify({ name: 'x'.repeat(MAX_BODY_BYTES) });
    const response = await call(echo, httpEvent({ headers: json, body }));

    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });

  it('answers 400 validation_error naming the field', async () => {
    const { status, body } = await call(echo, httpEvent({ headers: json, body: '{"name":"  "}' }));

    expect(status).toBe(400);
    expect(body.error).toEqual({ code: 'validation_error', message: expect.stringContaining('name') });
  });

  it('maps a typed error to its status and code', async () => {
    const handler = httpHandler(async () => {
      throw new NotFound('chat', 7);
    });

    expect(await call(handler)).toEqual({ status: 404, body: { error: { code: 'not_found', message: 'chat 7 not found' } } });
  });

  it('hides an unexpected error behind a generic 500, and logs it with the request id', async () => {
    const handler = httpHandler(async () => {
      throw new Error('secret connection string');
    });

    const { status, body } = await call(handler);

    expect(status).toBe(500);
    expect(body).toEqual({ error: { code: 'internal_error', message: 'an unexpected error occurred' } });
    const logged = (console.error as jest.Mock).mock.calls.map((args) => JSON.parse(args[0]));
    expect(logged[0]).toMatchObject({ requestId: 'lambda-req-1', apiRequestId: 'req-1', detail: 'secret connection string' });
  });
});
