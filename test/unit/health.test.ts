import { checkHealth } from '../../shared/services/health';

describe('checkHealth', () => {
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
    expect(report.dependencies.broken).toMatchObject({ status: 'down', error: 'connection refused' });
    expect(report.dependencies.hung).toMatchObject({ status: 'down', error: 'no answer within 50 ms' });
  });
});
