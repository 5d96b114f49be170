// The local runtime's footprint (issue 10): how long `npm start` takes to be ready when the services
// already run, how long a second API instance takes, and the memory (RSS) of each whole process tree
// once its handlers are warm. Run on the running platform, holding the integration lock:
//   flock /tmp/chat-it.lock npx tsx test/bench/local-runtime.ts
// Ports: HTTP_PORT/LAMBDA_PORT for `npm start` (default 3190/3192), SECOND_HTTP_PORT (default 3194).
import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { ROOT } from '../../infra/local/environment';
import { logPath } from '../../infra/local/paths';
import { isAlive } from '../../infra/local/process';

const startPort = Number(process.env.HTTP_PORT ?? 3190);
const secondPort = Number(process.env.SECOND_HTTP_PORT ?? startPort + 4);

interface TreeMemory {
  totalMb: number;
  processes: { pid: number; rssMb: number; command: string }[];
}

/** VmRSS of a process and of all its descendants, read from /proc. */
function treeMemory(rootPid: number): TreeMemory {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      /* gone meanwhile */
    }
  }
  const processes: TreeMemory['processes'] = [];
  const visit = (pid: number) => {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, 110);
      processes.push({ pid, rssMb: Math.round(rssKb / 1024), command });
    } catch {
      /* gone meanwhile */
    }
    for (const child of children.get(pid) ?? []) visit(child);
  };
  visit(rootPid);
  return { totalMb: processes.reduce((sum, p) => sum + p.rssMb, 0), processes };
}

function launch(name: string, command: string, args: string[], env: Record<string, string>): { child: ChildProcess; logFile: string } {
  const logFile = logPath(name);
  const out = openSync(logFile, 'w');
  const child = spawn(command, args, { cwd: ROOT, detached: true, stdio: ['ignore', out, out], env: { ...process.env, ...env, EXIT_WITH_PARENT: String(process.pid) } });
  return { child, logFile };
}

/**
 * Seconds until GET /health answers at all (as test/helpers/second-api.ts waits) and, with `readyLine`,
 * the launcher has printed it (`npm start` is ready once its SQS delivery runs too). Bounded by 180 s.
 */
async function secondsUntilReady(child: ChildProcess, port: number, logFile: string, startedAt: number, readyLine?: RegExp): Promise<number> {
  while (Date.now() - startedAt < 180_000) {
    if (!isAlive(child.pid!)) throw new Error(`exited; see ${logFile}`);
    const response = await fetch(`http://127.0.0.1:${port}/api/v1/health`).catch(() => undefined);
    if (response && (!readyLine || readyLine.test(readFileSync(logFile, 'utf8')))) return (Date.now() - startedAt) / 1000;
    await sleep(100);
  }
  throw new Error(`not ready within 180 s; see ${logFile}`);
}

/** Calls HTTP functions of every kind once, so the RSS includes loaded handlers, not only the server. */
async function warm(port: number): Promise<void> {
  const api = `http://127.0.0.1:${port}/api/v1`;
  const post = (path: string, body: unknown) =>
    fetch(`${api}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const app = (await (await post('/apps', { name: 'runtime bench' })).json()) as { token: string };
  await fetch(`${api}/apps/${app.token}`);
  await post(`/apps/${app.token}/chats`, {});
  await post(`/apps/${app.token}/chats/1/messages`, { content: 'warm up' });
  await fetch(`${api}/apps/${app.token}/chats/1/messages/search?q=warm`);
  await fetch(`${api}/health`);
  await sleep(3000); // the SQS delivery loops invoke the consumers meanwhile
}

async function stop(child: ChildProcess): Promise<void> {
  process.kill(-child.pid!, 'SIGTERM');
  for (let i = 0; i < 150 && isAlive(child.pid!); i++) await sleep(100);
  if (isAlive(child.pid!)) process.kill(-child.pid!, 'SIGKILL');
}

function print(label: string, seconds: number, memory: TreeMemory): void {
  console.log(`${label}: ready in ${seconds.toFixed(1)} s, ${memory.totalMb} MB RSS (whole tree)`);
  for (const p of memory.processes) console.log(`    ${String(p.rssMb).padStart(5)} MB  ${p.pid}  ${p.command}`);
}

async function main(): Promise<void> {
  const startedAt = Date.now();
  const start = launch(`runtime-bench-start-${startPort}`, 'npm', ['start'], { HTTP_PORT: String(startPort), LAMBDA_PORT: String(startPort + 2) });
  try {
    const startSeconds = await secondsUntilReady(start.child, startPort, start.logFile, startedAt, /ready in [\d.]+ s/);
    await warm(startPort);
    print('npm start (services running)', startSeconds, treeMemory(start.child.pid!));

    const secondStartedAt = Date.now();
    const second = launch(`runtime-bench-second-${secondPort}`, process.execPath, [
      '--import', 'tsx', 'infra/local/cli.ts', 'api', '--stage', 'test',
      '--http-port', String(secondPort), '--lambda-port', String(secondPort + 2), '--no-delivery',
    ], {});
    try {
      const secondSeconds = await secondsUntilReady(second.child, secondPort, second.logFile, secondStartedAt);
      await warm(secondPort);
      print('second API instance (beside it)', secondSeconds, treeMemory(second.child.pid!));
    } finally {
      await stop(second.child);
    }
  } finally {
    await stop(start.child);
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
