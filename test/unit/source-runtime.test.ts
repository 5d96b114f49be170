import { httpEvent, lambdaContext } from '../helpers/events';
import { defineSourceHandler, loadSourceHandlers, sourceHandler, sourceHandlers, splitHandler, type ModuleLoader } from '../../infra/local/source-runtime';

// The plugin registers tsx in serverless-offline's process; jest compiles TypeScript itself.
jest.mock('tsx/cjs/api', () => ({ register: jest.fn() }));
jest.mock('serverless-esbuild', () => jest.fn(function EsbuildServerlessPlugin() {}));
/* eslint-disable @typescript-eslint/no-require-imports */
const LocalSourceRuntime = require('../../infra/local/source-runtime-plugin.js');
const EsbuildServerlessPlugin = require('serverless-esbuild') as jest.Mock;
/* eslint-enable @typescript-eslint/no-require-imports */

const FIXTURES = 'test/unit/fixtures';

/** The JSON log lines written to stderr, parsed. */
function errorLines(spy: jest.SpyInstance): Record<string, unknown>[] {
  return spy.mock.calls.map(([line]) => JSON.parse(String(line)) as Record<string, unknown>);
}

describe('a local function run from its TypeScript source', () => {
  let stderr: jest.SpyInstance;
  beforeEach(() => {
    stderr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    for (const key of Object.keys(sourceHandlers)) delete sourceHandlers[key];
  });
  afterEach(() => jest.restoreAllMocks());

  it('calls the export of the module named by its handler, with the event and context', async () => {
    const handler = sourceHandler({ key: 'echo', handler: `${FIXTURES}/echo-handler.handler`, http: true });

    const response = (await handler({ ping: 1 }, { awsRequestId: 'r' })) as { statusCode: number; body: string };

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ event: { ping: 1 }, context: { awsRequestId: 'r' } });
  });

  it('resolves a nested export path as the Lambda runtime does', async () => {
    const handler = sourceHandler({ key: 'echo', handler: `${FIXTURES}/echo-handler.nested.handler`, http: true });

    expect(await handler({}, {})).toMatchObject({ statusCode: 200 });
  });

  it('answers 500 with the API error body, and logs it, when an HTTP function module throws while loading', async () => {
    const handler = sourceHandler({ key: 'broken', handler: `${FIXTURES}/broken-handler.handler`, http: true });

    const response = (await handler(httpEvent(), lambdaContext)) as { statusCode: number; body: string };

    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body)).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
    expect(errorLines(stderr)).toEqual([
      expect.objectContaining({ level: 'ERROR', function: 'broken', handler: `${FIXTURES}/broken-handler.handler`, detail: 'this module cannot be loaded' }),
    ]);
  });

  it('answers 500 when the module does not exist (the failure of a deleted bundle)', async () => {
    const handler = sourceHandler({ key: 'createApp', handler: 'functions/http/no-such-module.create', http: true });

    const response = (await handler(httpEvent(), lambdaContext)) as { statusCode: number; body: string };

    expect(response.statusCode).toBe(500);
    expect(JSON.parse(response.body).error.code).toBe('internal_error');
    expect(errorLines(stderr)[0]).toMatchObject({ level: 'ERROR', function: 'createApp' });
    expect(JSON.stringify(errorLines(stderr)[0])).toContain('no-such-module');
  });

  it('answers 500 when the handler names something that is not an exported function', async () => {
    const handler = sourceHandler({ key: 'echo', handler: `${FIXTURES}/echo-handler.notAFunction`, http: true });

    expect(await handler(httpEvent(), lambdaContext)).toMatchObject({ statusCode: 500 });
    expect(errorLines(stderr)[0]).toMatchObject({ detail: expect.stringContaining('not an exported function') });
  });

  it('rethrows for a function that is not called over HTTP (a queue consumer), so its invocation fails', async () => {
    const handler = sourceHandler({ key: 'persistChats', handler: `${FIXTURES}/broken-handler.handler`, http: false });

    await expect(handler({ Records: [] }, lambdaContext)).rejects.toThrow('this module cannot be loaded');
    expect(errorLines(stderr)[0]).toMatchObject({ function: 'persistChats' });
  });

  it('loads the module once, and again after a failed load', async () => {
    const good = { handler: async () => 'ok' };
    const load = jest.fn<ReturnType<ModuleLoader>, Parameters<ModuleLoader>>().mockImplementationOnce(() => {
      throw new Error('not yet');
    });
    load.mockReturnValue(good);
    const handler = sourceHandler({ key: 'f', handler: 'functions/f.handler', http: true }, load);

    expect(await handler({}, {})).toMatchObject({ statusCode: 500 });
    expect(await handler({}, {})).toBe('ok');
    expect(await handler({}, {})).toBe('ok');
    expect(load).toHaveBeenCalledTimes(2);
    expect(load.mock.calls[1]![0]).toMatch(/\/functions\/f$/);
  });

  it('loads every function ahead of its first call, each with its environment, and logs the ones that fail', () => {
    const seen: Record<string, string | undefined> = {};
    const load: ModuleLoader = (path) => {
      seen[path.slice(path.lastIndexOf('/') + 1)] = process.env.SOURCE_RUNTIME_TEST;
      return { handler: async () => 'ok' };
    };
    defineSourceHandler({ key: 'one', handler: 'functions/one.handler', http: true }, load);
    defineSourceHandler({ key: 'two', handler: 'functions/two.handler', http: false }, load);
    defineSourceHandler({ key: 'broken', handler: `${FIXTURES}/broken-handler.handler`, http: true });

    expect(loadSourceHandlers((key) => ({ SOURCE_RUNTIME_TEST: `env of ${key}` }))).toEqual({ loaded: 2, failed: 1 });
    expect(seen).toEqual({ one: 'env of one', two: 'env of two' });
    expect(errorLines(stderr)).toEqual([expect.objectContaining({ function: 'broken' })]);
    delete process.env.SOURCE_RUNTIME_TEST;
  });

  it('splits a handler string at the first dot of its file name', () => {
    expect(splitHandler('functions/http/apps.create')).toEqual({ module: 'functions/http/apps', exportPath: ['create'] });
    expect(splitHandler('a.b/c.d.e')).toEqual({ module: 'a.b/c', exportPath: ['d', 'e'] });
    expect(() => splitHandler('functions/http/apps')).toThrow('malformed handler');
  });
});

describe('the local source runtime plugin', () => {
  const serverless = (command: string, stage: string, useInProcess = true) => ({
    processedInput: { commands: [command, 'start'] },
    getProvider: () => ({ getStage: () => stage }),
    service: {
      provider: { environment: {} },
      custom: { 'serverless-offline': { useInProcess } },
      functions: {
        createApp: { handler: 'functions/http/apps.create', events: [{ httpApi: { method: 'POST', path: '/api/v1/apps' } }] },
        persistChats: { handler: 'functions/queue/persist-chats.handler', events: [{ sqs: {} }] } as { handler: string; events: unknown[] },
      },
    },
  });

  it('under `offline` on a local stage: handlers from source, no serverless-esbuild', () => {
    const sls = serverless('offline', 'test');
    const plugin = new LocalSourceRuntime(sls, {});

    plugin.hooks.initialize();

    expect(plugin).not.toBeInstanceOf(EsbuildServerlessPlugin);
    expect(EsbuildServerlessPlugin).not.toHaveBeenCalled();
    expect(sls.service.functions.createApp.handler).toBe('infra/local/source-handlers.createApp');
    expect(sls.service.functions.persistChats.handler).toBe('infra/local/source-handlers.persistChats');
    expect(Object.keys(sourceHandlers)).toEqual(expect.arrayContaining(['createApp', 'persistChats']));
  });

  it('loads the real function modules before serverless-offline listens', () => {
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const notice = jest.fn();
    const plugin = new LocalSourceRuntime(serverless('offline', 'local'), {}, { log: { notice } });
    plugin.hooks.initialize();

    plugin.hooks['before:offline:start:init']();

    expect(notice).toHaveBeenCalledWith(expect.stringMatching(/^Loaded 2 functions from their TypeScript source in \d+ ms$/));
    expect(console.error).not.toHaveBeenCalled();
  });

  it.each([
    ['packaging a local stage', 'package', 'local'],
    ['deploying', 'deploy', 'prod'],
    ['`offline` on an AWS stage', 'offline', 'prod'],
  ])('is serverless-esbuild itself for %s', (_case, command, stage) => {
    const sls = serverless(command, stage);

    const plugin = new LocalSourceRuntime(sls, { stage }, {});

    expect(plugin).toBeInstanceOf(EsbuildServerlessPlugin);
    expect(EsbuildServerlessPlugin).toHaveBeenCalledWith(sls, { stage }, {});
    expect(sls.service.functions.createApp.handler).toBe('functions/http/apps.create');
  });

  it('refuses worker threads, which would not see the handlers defined in this process', () => {
    expect(() => new LocalSourceRuntime(serverless('offline', 'local', false), {})).toThrow('useInProcess');
  });
});
