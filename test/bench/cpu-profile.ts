// Reads a V8 `.cpuprofile` (node --cpu-prof) and sums self time by owner: the npm package a function
// belongs to, this project's own files by top folder, Node's internals, and V8's pseudo-frames (idle,
// garbage collector, program). What the profiling scripts print.
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT } from '../../infra/local/environment';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface OwnerShare {
  owner: string;
  ms: number;
  share: number;
}

/** Who a frame belongs to: `package` (the innermost node_modules), `ours: folder`, `node`, or a V8 pseudo-frame. */
export function ownerOf({ functionName, url }: ProfileNode['callFrame']): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node (internals)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const modules = path.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const [scope, name] = path.slice(modules + 'node_modules/'.length).split('/');
    return scope!.startsWith('@') ? `${scope}/${name}` : scope!;
  }
  const inProject = relative(ROOT, path);
  return inProject.startsWith('..') ? path : `ours: ${inProject.split('/').slice(0, 2).join('/')}`;
}

/** Now on the clock V8 stamps profiles with (CLOCK_MONOTONIC, µs): the same in every process of the machine. */
export const monotonicMicros = () => Number(process.hrtime.bigint() / 1000n);

/**
 * Self time per owner between `from` and `to` (monotonicMicros() readings, taken in any process; the
 * whole profile by default), largest first, and the busiest functions.
 */
export function selfTimeByOwner(file: string, window: { from?: number; to?: number } = {}): { totalMs: number; owners: OwnerShare[]; functions: OwnerShare[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]));
  const byOwner = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let at = profile.startTime;
  let totalUs = 0;
  const from = window.from ?? 0;
  const to = window.to ?? Infinity;
  profile.samples.forEach((id, i) => {
    const delta = profile.timeDeltas[i] ?? 0;
    at += delta;
    if (at < from || at > to) return;
    const frame = nodes.get(id)!.callFrame;
    const owner = ownerOf(frame);
    totalUs += delta;
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + delta);
    const name = `${owner} ${frame.functionName || '(anonymous)'}:${frame.lineNumber + 1}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + delta);
  });
  const shares = (totals: Map<string, number>, top: number) =>
    [...totals.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([owner, us]) => ({ owner, ms: Math.round(us / 1000), share: Math.round((us / totalUs) * 1000) / 10 }));
  return { totalMs: Math.round(totalUs / 1000), owners: shares(byOwner, 25), functions: shares(byFunction, 25) };
}
