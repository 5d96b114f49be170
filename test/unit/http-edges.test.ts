import { update as updateMessage } from '../../functions/http/messages';
import { handler as notFound } from '../../functions/http/not-found';
import { httpHandler } from '../../shared/http/handler';
import { parseBody } from '../../shared/http/parse';
import { ok } from '../../shared/http/responses';
import { AppBody } from '../../shared/domain/schemas';
import { httpEvent, lambdaContext } from '../helpers/events';

const create = httpHandler(async (event) => ok(parseBody(AppBody, event)));
const json = { 'content-type': 'application/json' };

describe('edges schemathesis found', () => {
  beforeEach(() => {
    jest.spyOn(console, 'log').mockImplementation(() => undefined);
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => jest.restoreAllMocks());

  it.each([false, 0, null, 'x', true, []])('a JSON body of %j is a 400, also as serverless-offline passes falsy ones (not a string)', async (value) => {
    for (const body of typeof value === 'string' ? [JSON.stringify(value)] : [JSON.stringify(value), value as unknown as string]) {
      const response = await create(httpEvent({ headers: json, body }), lambdaContext);
      // null arrives as "no body": then the missing name is the 400.
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body).error.code).toBe('validation_error');
    }
  });

  it.each([
    ['TRACE', '/api/v1/apps', 'POST'],
    ['DELETE', '/api/v1/apps/tX3b9vQ2mJ0cYk1sZr7dLw5pHq8nFe4a', 'GET, PUT'],
    ['PUT', '/api/v1/apps/tX3b9vQ2mJ0cYk1sZr7dLw5pHq8nFe4a/chats/1/messages/search', 'GET'],
    ['PATCH', '/api/v1/apps/tX3b9vQ2mJ0cYk1sZr7dLw5pHq8nFe4a/chats/1/messages/2', 'GET, PUT'],
  ])('%s %s → 405 with Allow: %s', async (method, path, allow) => {
    const event = httpEvent({ rawPath: path, requestContext: { ...httpEvent().requestContext, http: { ...httpEvent().requestContext.http, method, path } } });
    const response = await notFound(event, lambdaContext);

    expect(response.statusCode).toBe(405);
    expect((response as { headers?: Record<string, string> }).headers).toEqual(expect.objectContaining({ Allow: allow }));
    expect(JSON.parse(response.body).error.code).toBe('method_not_allowed');
  });

  it('a route the gateway matched by shape still answers 405 for the literal path it is not (PUT …/messages/search)', async () => {
    const path = '/api/v1/apps/tX3b9vQ2mJ0cYk1sZr7dLw5pHq8nFe4a/chats/1/messages/search';
    const event = httpEvent({ rawPath: path, requestContext: { ...httpEvent().requestContext, http: { ...httpEvent().requestContext.http, method: 'PUT', path } } });
    const response = await updateMessage(event, lambdaContext);

    expect(response.statusCode).toBe(405);
    expect((response as { headers?: Record<string, string> }).headers).toEqual(expect.objectContaining({ Allow: 'GET' }));
  });

  it('an unknown path stays 404', async () => {
    const path = '/api/v1/nothing/here';
    const event = httpEvent({ rawPath: path, requestContext: { ...httpEvent().requestContext, http: { ...httpEvent().requestContext.http, method: 'GET', path } } });

    expect((await notFound(event, lambdaContext)).statusCode).toBe(404);
  });
});
