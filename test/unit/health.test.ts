import { checkHealth } from '../../shared/services/health';

describe('checkHealth', () => {
  beforeEach(() => jest.spyOn(console, 'warn').mockImplementation(() => undefined));
  afterEach(() => jest.restoreAllMocks());

  it('is ok when every probe answers', async () => {
    const report = await checkHealth({ a: async () => 1, b: async () => 2 });

    expect(report.status).toBe('ok');
    expect(report.dependencies.a).toEqual({ status: 'up', latency_ms: expect.any(Number) });
  });

  it('names each dependency that fails or does not answer in time', async () => {
    const report = await checkHealth(
      {
        fine: async () => 'yes',
        broken: async () => {
          throw new Error('connection refused');
        },
        hung: () => new Promise(() => undefined),
      },
      50,
    );

    expect(report.status).toBe('unavailable');
    expect(report.dependencies.fine!.status).toBe('up');
    expect(report.dependencies.broken).toEqual({ status: 'down', latency_ms: expect.any(Number) });
    expect(report.dependencies.hung).toEqual({ status: 'down', latency_ms: expect.any(Number) });
  });

  it('keeps error details out of the answer and writes them to the log', async () => {
    const report = await checkHealth({
      search: async () => {
        throw new Error('getaddrinfo ENOTFOUND internal-search.vpc.example');
      },
    });

    expect(JSON.stringify(report)).not.toContain('internal-search');
    const logged = (console.warn as jest.Mock).mock.calls.map((args) => JSON.parse(args[0]));
    expect(logged).toEqual([expect.objectContaining({ dependency: 'search', detail: 'getaddrinfo ENOTFOUND internal-search.vpc.example' })]);
  });

  it('names the SQS backend only when told (local stages)', async () => {
    expect(await checkHealth({}, 50, 'elasticmq')).toEqual({ status: 'ok', dependencies: {}, sqs_backend: 'elasticmq' });
    expect(await checkHealth({}, 50)).not.toHaveProperty('sqs_backend');
  });
});
