import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './environment';

/** Everything the local platform writes lives under .local/ in the checkout (LOCAL_DIR moves it). */
export const LOCAL_DIR = process.env.LOCAL_DIR ?? join(ROOT, '.local');

export interface ServicePaths {
  dir: string;
  logFile: string;
  pidFile: string;
}

export function servicePaths(service: string): ServicePaths {
  const dir = join(LOCAL_DIR, service);
  mkdirSync(dir, { recursive: true });
  return { dir, logFile: logPath(service), pidFile: join(LOCAL_DIR, 'run', `${service}.pid`) };
}

/** A log file under .local/logs (the folder is created). */
export function logPath(name: string): string {
  const dir = join(LOCAL_DIR, 'logs');
  mkdirSync(dir, { recursive: true });
  return join(dir, `${name}.log`);
}

/** Artefacts tests leave for a human (screenshots), under .local/test-output (the folder is created). */
export function testOutputPath(name: string): string {
  const dir = join(LOCAL_DIR, 'test-output');
  mkdirSync(dir, { recursive: true });
  return join(dir, name);
}
