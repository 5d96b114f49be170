// Development aid: profiles serverless-offline under POST …/messages (hold the integration lock):
//   PROFILE_DIR=/tmp/prof npx tsx test/bench/profile-api.ts
import { onTestStage, profileTarget } from './stage';
import { apiCreate, inProcessCreate, rawClients, rawPhases, thinHttpServer } from './create';
import { startApi } from '../../infra/local/api';
import { localPorts, ROOT } from '../../infra/local/environment';
import { isPortOpen } from '../../infra/local/process';
import { until } from './load';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

/** serverless-offline under `node --cpu-prof` (NODE_OPTIONS refuses the flag); the profile is written on SIGINT. */
async function profiledOffline(httpPort: number, lambdaPort: number) {
  const child = spawn(process.execPath, [`--cpu-prof`, `--cpu-prof-dir=${process.env.PROFILE_DIR}`, join(ROOT, 'node_modules', 'serverless', 'bin', 'serverless.js'), 'offline', 'start', '--stage', 'test'], {
    cwd: ROOT,
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, HTTP_PORT: String(httpPort), LAMBDA_PORT: String(lambdaPort), SLS_TELEMETRY_DISABLED: '1' },
  });
  await until(() => isPortOpen(httpPort), 120_000, 200);
  return {
    url: `http://127.0.0.1:${httpPort}`,
    stop: async () => {
      child.kill('SIGINT');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

const COUNT = Number(process.env.BENCH_COUNT ?? 3000);
const CONCURRENCY = 16;

onTestStage(async () => {
  const target = await profileTarget();
  const ports = localPorts();
  const startedAt = Date.now();
  const api = process.env.PROFILE_DIR ? await profiledOffline(ports.testHttp, ports.testLambda) : await startApi({ stage: 'test', httpPort: ports.testHttp, lambdaPort: ports.testLambda, delivery: false, output: 'log' });
  console.log(`api ready in ${Date.now() - startedAt} ms`);
  const raw = await rawClients();
  const phases = rawPhases(raw, target, COUNT, CONCURRENCY);
  try {
    const base = `${api.url}/api/v1`;
    const thin = await thinHttpServer();
    const thinBase = `${thin.url}/api/v1`;
    await apiCreate(base, target, 200, CONCURRENCY);
    await apiCreate(thinBase, target, 200, CONCURRENCY);
    await inProcessCreate(target, 200, CONCURRENCY);
    await phases.luaThenSend();
    for (let round = 0; round < 2; round++) {
      console.log('lua+send', JSON.stringify(await phases.luaThenSend()));
      console.log('api', JSON.stringify(await apiCreate(base, target, COUNT, CONCURRENCY)));
      if (process.env.PROFILE_DIR) continue;
      console.log('thin', JSON.stringify(await apiCreate(thinBase, target, COUNT, CONCURRENCY)));
      console.log('inproc', JSON.stringify(await inProcessCreate(target, COUNT, CONCURRENCY)));
    }
    await thin.close();
  } finally {
    await raw.close();
    await api.stop();
  }
}).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
