// What `npm run bench` prints and writes: a table where every figure stands beside its raw floor from
// the same run and their ratio, docs/bench/results.json, and docs/bench/ratios.svg.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem, release } from 'node:os';
import { join } from 'node:path';
import { Console } from 'node:console';
import { ROOT } from '../../infra/local/environment';

export interface Figure {
  group: string;
  phase: string;
  unit: 'ops/s' | 'rows/s' | 'ms';
  /** Median over the repetitions. */
  value: number;
  /** Min and max over the repetitions (equal when measured once). */
  spread: [number, number];
  p50?: number;
  p95?: number;
  floorPhase?: string;
  floor?: number;
  /** value / floor for rates, floor / value for durations: 1 is the floor, higher is better. */
  ratio?: number;
  target?: number;
  note?: string;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** A figure from repeated measurements, against the median of its floor's repetitions. */
export function figure(
  base: Omit<Figure, 'value' | 'spread' | 'ratio' | 'floor'>,
  values: number[],
  floorValues?: number[],
): Figure {
  const value = Math.round(median(values) * 10) / 10;
  const floor = floorValues && floorValues.length ? Math.round(median(floorValues) * 10) / 10 : undefined;
  const ratio = floor === undefined ? undefined : Math.round((base.unit === 'ms' ? floor / value : value / floor) * 100) / 100;
  return { ...base, value, spread: [Math.min(...values), Math.max(...values)], floor, ratio };
}

function version(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0]!;
  } catch {
    return 'unknown';
  }
}

/** Cores, memory, load and the versions of everything measured. */
export async function machine(serverVersions: Record<string, string>) {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };
  const deps = { ...pkg.dependencies, ...pkg.devDependencies };
  return {
    cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    freeMemoryGiBAtStart: Math.round((freemem() / 2 ** 30) * 10) / 10,
    loadAverageAtStart: loadavg().map((n) => Math.round(n * 100) / 100),
    os: `${version('uname', ['-s'])} ${release()}`,
    node: process.version,
    ...serverVersions,
    packages: Object.fromEntries(['serverless-offline', 'serverless-esbuild', '@middy/core', '@aws-sdk/client-sqs', 'ioredis', 'mysql2', '@opensearch-project/opensearch', 'zod'].map((name) => [name, deps[name] ?? '?'])),
  };
}

const fmt = (n: number | undefined, unit = '') => (n === undefined || Number.isNaN(n) ? '' : `${n.toLocaleString('en-US', { maximumFractionDigits: 1 })}${unit}`);

export function printTable(figures: Figure[]): void {
  const rows = figures.map((f) => ({
    phase: f.phase,
    value: `${fmt(f.value)} ${f.unit}`,
    spread: f.spread[0] === f.spread[1] ? '' : `${fmt(f.spread[0])}–${fmt(f.spread[1])}`,
    'p50/p95 ms': f.p50 === undefined ? '' : `${fmt(f.p50)} / ${fmt(f.p95)}`,
    floor: f.floorPhase ? `${fmt(f.floor)} ${f.unit} (${f.floorPhase})` : '',
    ratio: f.ratio === undefined ? '' : `${f.ratio.toFixed(2)}×${f.target ? (f.ratio >= f.target ? ` ≥ ${f.target} ✓` : ` < ${f.target} ✗`) : ''}`,
  }));
  // A console of its own: the global one carries the application's log during the bench (stage.ts).
  new Console({ stdout: process.stdout, stderr: process.stderr }).table(rows);
}

/** A horizontal bar per ratio, with the target marked: the shape of the run at a glance. */
export function ratioChart(figures: Figure[], title: string): string {
  const rated = figures.filter((f) => f.ratio !== undefined);
  const rowHeight = 26;
  const left = 330;
  const width = 820;
  const scale = (width - left - 60) / Math.max(1.2, ...rated.map((f) => f.ratio!));
  const height = 60 + rated.length * rowHeight + 30;
  const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const bars = rated
    .map((f, i) => {
      const y = 50 + i * rowHeight;
      const w = Math.max(1, f.ratio! * scale);
      const met = f.target === undefined || f.ratio! >= f.target;
      const target = f.target === undefined ? '' : `<line x1="${left + f.target * scale}" x2="${left + f.target * scale}" y1="${y - 2}" y2="${y + 20}" stroke="#222" stroke-dasharray="3,2"/>`;
      return (
        `<text x="${left - 8}" y="${y + 14}" text-anchor="end">${escape(f.phase)}</text>` +
        `<rect x="${left}" y="${y}" width="${w.toFixed(1)}" height="18" fill="${met ? '#3b7dd8' : '#d8763b'}"/>` +
        `<text x="${left + w + 6}" y="${y + 14}">${f.ratio!.toFixed(2)}×</text>${target}`
      );
    })
    .join('\n  ');
  const one = `<line x1="${left + scale}" x2="${left + scale}" y1="40" y2="${height - 30}" stroke="#999"/><text x="${left + scale}" y="${height - 14}" text-anchor="middle">1× = raw floor</text>`;
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" font-size="12">
  <text x="10" y="22" font-size="15" font-weight="bold">${escape(title)}</text>
  <text x="10" y="38" fill="#555">ratio to the raw floor of the same run (dashed: target; orange: below target)</text>
  ${one}
  ${bars}
</svg>
`;
}

export function writeResults(directory: string, results: object, svg: string): void {
  mkdirSync(directory, { recursive: true });
  writeFileSync(join(directory, 'results.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(join(directory, 'ratios.svg'), svg);
}
