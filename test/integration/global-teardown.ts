import { setTimeout as sleep } from 'node:timers/promises';
import { isAlive } from '../../infra/local/process';
import { stopServices } from '../../infra/local/platform';

/** Stops the test API, and the services the setup started (KEEP_SERVICES=1 keeps them for the next run). */
export default async function globalTeardown(): Promise<void> {
  const state = globalThis.__platform;
  if (!state) return;
  // The API process leads its own group, serverless-offline included.
  process.kill(-state.apiPid, 'SIGTERM');
  for (let i = 0; i < 100 && isAlive(state.apiPid); i++) await sleep(100);
  if (isAlive(state.apiPid)) process.kill(-state.apiPid, 'SIGKILL');
  if (state.startedServices.length > 0 && process.env.KEEP_SERVICES !== '1') await stopServices();
}
