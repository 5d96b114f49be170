// Development aid: profiles serverless-offline under POST …/messages (hold the integration lock):
//   PROFILE_DIR=/tmp/prof npx tsx test/bench/profile-api.ts
import { onTestStage, profiledOffline, profileTarget } from './stage';
import { apiCreate, inProcessCreate, rawClients, rawPhases, thinHttpServer } from './create';
import { startApi } from '../../infra/local/api';
import { localPorts } from '../../infra/local/environment';

const COUNT = Number(process.env.BENCH_COUNT ?? 3000);
const CONCURRENCY = 16;

onTestStage(async () => {
  const target = await profileTarget();
  const ports = localPorts();
  const startedAt = Date.now();
  const api = process.env.PROFILE_DIR ? await profiledOffline(process.env.PROFILE_DIR, ports.testHttp, ports.testLambda) : await startApi({ stage: 'test', httpPort: ports.testHttp, lambdaPort: ports.testLambda, delivery: false, output: 'log' });
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
