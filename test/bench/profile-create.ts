// Development aid: `node --cpu-prof --import tsx test/bench/profile-create.ts` profiles the
// in-process create handler against its raw floor on the test stage (hold the integration lock).
import { onTestStage, profileTarget } from './stage';
import { inProcessCreate, rawClients, rawPhases } from './create';

const COUNT = Number(process.env.BENCH_COUNT ?? 3000);
const CONCURRENCY = 16;

onTestStage(async () => {
  const target = await profileTarget();
  const raw = await rawClients();
  const phases = rawPhases(raw, target, COUNT, CONCURRENCY);
  await phases.luaThenSend();
  await inProcessCreate(target, 200, CONCURRENCY);
  for (let round = 0; round < 2; round++) {
    console.log('lua', await phases.lua());
    console.log('send', await phases.send());
    console.log('lua+send', await phases.luaThenSend());
    console.log('handler', await inProcessCreate(target, COUNT, CONCURRENCY));
  }
  await raw.close();
}).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });
