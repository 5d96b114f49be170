import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { localPorts, ROOT } from '../../infra/local/environment';
import { api } from '../helpers/api';
import { startSecondApi, type SecondApi } from '../helpers/second-api';

const run = promisify(execFile);

// Issue 14: `npm run build`, `npm run package` and `sls package` used to clean and rewrite the esbuild
// work folder that the running API loaded its bundles from; the API then answered every request to a
// function it had not loaded yet with a 200 carrying `errorMessage`. Local stages now run from source.
describe('packaging in the checkout of a running API', () => {
  let fresh: SecondApi | undefined;
  const packageDir = mkdtempSync(join(tmpdir(), 'chat-package-'));

  beforeAll(async () => {
    // An instance that has loaded no function yet: with bundles, its first create would load one after
    // the packaging run replaced them.
    fresh = await startSecondApi(localPorts().testHttp + 95);
  }, 180_000);
  afterAll(async () => {
    await fresh?.stop();
    rmSync(packageDir, { recursive: true, force: true });
  });

  it('leaves both running APIs answering 201: packaging never touches what they use', async () => {
    // Given the suite's API and a fresh one, both running
    // When the service is packaged in the same checkout (what `npm run build` does, for the test stage)
    await run(process.execPath, [join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'package', '--stage', 'test', '--package', packageDir], {
      cwd: ROOT,
      env: { ...process.env, SLS_TELEMETRY_DISABLED: '1' },
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(readdirSync(packageDir)).toEqual(expect.arrayContaining(['createApp.zip', 'persistMessages.zip']));

    // Then both still create an application
    for (const baseUrl of [process.env.TEST_API_URL!, fresh!.url]) {
      const response = await api('POST', '/api/v1/apps', { body: { name: 'packaged meanwhile' }, baseUrl });

      expect(response.status).toBe(201);
      expect(response.body.token).toEqual(expect.any(String));
    }
  }, 360_000);
});
