import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** Thrown for a failure the user can act on; the CLI prints the message alone, without a stack. */
export class LauncherError extends Error {
  override name = 'LauncherError';
}

export const step = (message: string) => console.log(`▸ ${message}`);
export const detail = (message: string) => console.log(`  ${message}`);

/** True when something accepts TCP connections on 127.0.0.1:port. */
export function isPortOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/**
 * Polls `ready` until it answers true, or fails naming the service and its log file. Stops early when
 * the process it watches has died, since waiting longer cannot help.
 */
export async function waitUntilReady(
  service: string,
  ready: () => Promise<boolean>,
  { timeoutMs, logFile, pid }: { timeoutMs: number; logFile: string; pid?: number },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ready().catch(() => false)) return;
    if (pid !== undefined && !isAlive(pid)) {
      throw new LauncherError(`${service} exited during start-up; see its log: ${logFile}`);
    }
    await sleep(250);
  }
  throw new LauncherError(`${service} was not ready within ${Math.round(timeoutMs / 1000)} s; see its log: ${logFile}`);
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts a long-running server in its own session (so Ctrl-C on `npm start` does not reach it),
 * output appended to its log file, and records its pid so `npm run stop` stops only what we started.
 */
export function startDaemon(
  command: string,
  args: string[],
  { logFile, pidFile, env, cwd }: { logFile: string; pidFile: string; env?: NodeJS.ProcessEnv; cwd?: string },
): number {
  mkdirSync(dirname(logFile), { recursive: true });
  mkdirSync(dirname(pidFile), { recursive: true });
  const out = openSync(logFile, 'a');
  const options: SpawnOptions = { detached: true, stdio: ['ignore', out, out], env: env ?? process.env, cwd };
  const child = spawn(command, args, options);
  if (child.pid === undefined) throw new LauncherError(`could not start ${command}; see ${logFile}`);
  child.unref();
  writeFileSync(pidFile, String(child.pid));
  return child.pid;
}

export function readPid(pidFile: string): number | undefined {
  if (!existsSync(pidFile)) return undefined;
  const pid = Number(readFileSync(pidFile, 'utf8').trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * True when the process is the one a service folder belongs to: its command line names the folder, or
 * it runs inside it (Redis and MariaDB change directory to their data and rewrite their titles). A
 * stale pid file (after a reboot the pid may belong to anything) must never kill a stranger.
 */
function belongsTo(pid: number, serviceDir: string): boolean {
  try {
    const commandLine = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    const cwd = realpathSync(`/proc/${pid}/cwd`);
    return commandLine.includes(serviceDir) || cwd.startsWith(realpathSync(serviceDir));
  } catch {
    return false;
  }
}

/** Stops a daemon we started (its whole process group), waiting for it to exit; SIGKILL after the grace. */
export async function stopDaemon(pidFile: string, serviceDir: string, graceMs = 20_000): Promise<boolean> {
  const pid = readPid(pidFile);
  rmSync(pidFile, { force: true });
  if (pid === undefined || !isAlive(pid) || !belongsTo(pid, serviceDir)) return false;
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  signal('SIGTERM');
  const deadline = Date.now() + graceMs;
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) signal('SIGKILL');
  return true;
}

/** Runs a command to completion, output inherited; throws with the command line when it fails. */
export function run(command: string, args: string[], options: { cwd?: string; quiet?: boolean } = {}): void {
  const result = spawnSync(command, args, { cwd: options.cwd, stdio: options.quiet ? 'pipe' : 'inherit', encoding: 'utf8' });
  if (result.status !== 0) {
    const output = options.quiet ? `\n${result.stdout ?? ''}${result.stderr ?? ''}`.trimEnd() : '';
    throw new LauncherError(`command failed (${result.status ?? result.signal}): ${command} ${args.join(' ')}${output}`);
  }
}

export function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}
