import { api } from '../helpers/api';
import { givenApp } from '../helpers/fixtures';

const json = { 'content-type': 'application/json' };

describe('applications', () => {
  it('POST creates an application with an unguessable URL-safe token and no id', async () => {
    const { status, body } = await api('POST', '/api/v1/apps', { body: { name: '  instaBug  ' } });

    expect(status).toBe(201);
    expect(Object.keys(body).sort()).toEqual(['chats_count', 'created_at', 'name', 'token', 'updated_at']);
    expect(body.name).toBe('instaBug');
    expect(body.chats_count).toBe(0);
    // 24 random bytes in base64url: 192 bits.
    expect(body.token).toMatch(/^[A-Za-z0-9_-]{32}$/);
  });

  it('GET returns it; PUT renames it and moves updated_at', async () => {
    const token = await givenApp('before');

    const renamed = await api('PUT', `/api/v1/apps/${token}`, { body: { name: 'after' } });
    const fetched = await api('GET', `/api/v1/apps/${token}`);

    expect(renamed.status).toBe(200);
    expect(fetched.status).toBe(200);
    expect(fetched.body).toEqual(renamed.body);
    expect(fetched.body.name).toBe('after');
    expect(new Date(fetched.body.updated_at) >= new Date(fetched.body.created_at)).toBe(true);
  });

  it('two applications get different tokens', async () => {
    const tokens = await Promise.all([givenApp(), givenApp(), givenApp()]);

    expect(new Set(tokens).size).toBe(3);
  });

  it.each([
    ['no body', undefined],
    ['an empty object', {}],
    ['an empty name', { name: '' }],
    ['a blank name', { name: '   ' }],
    ['a name of 256 characters', { name: 'n'.repeat(256) }],
    ['a name that is not a string', { name: 42 }],
    ['a null name', { name: null }],
    ['a JSON array', ['x']],
  ])('POST with %s → 400 validation_error', async (_case, body) => {
    const response = await api('POST', '/api/v1/apps', { body });

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('validation_error');
    expect(response.body.error.message).toMatch(/name|body/);
  });

  it('accepts a name of exactly 255 characters, counting characters not bytes', async () => {
    const { status, body } = await api('POST', '/api/v1/apps', { body: { name: 'é'.repeat(255) } });

    expect(status).toBe(201);
    expect(body.name).toBe('é'.repeat(255));
  });

  it('POST with malformed JSON → 400 malformed_json', async () => {
    const response = await api('POST', '/api/v1/apps', { rawBody: '{"name": "x"', headers: json });

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('malformed_json');
  });

  it('POST with a non-JSON content type → 415', async () => {
    const response = await api('POST', '/api/v1/apps', { rawBody: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });

    expect(response.status).toBe(415);
    expect(response.body.error.code).toBe('unsupported_media_type');
  });

  it('POST with a body over 128 KiB → 413', async () => {
    const response = await api('POST', '/api/v1/apps', { body: { name: 'x', padding: 'p'.repeat(130 * 1024) } });

    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('payload_too_large');
  });

  it('GET and PUT of an unknown token → 404; a malformed token → 400', async () => {
    const unknown = 'A'.repeat(32);

    expect((await api('GET', `/api/v1/apps/${unknown}`)).status).toBe(404);
    expect((await api('PUT', `/api/v1/apps/${unknown}`, { body: { name: 'x' } })).status).toBe(404);
    expect((await api('GET', '/api/v1/apps/short')).status).toBe(400);
    expect((await api('GET', `/api/v1/apps/${'a'.repeat(20)}.json`)).status).toBe(400);
  });

  it('an unknown route → 404 in the API error shape', async () => {
    const response = await api('GET', '/api/v1/nothing-here');

    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });
});
