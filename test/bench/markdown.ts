// Prints the before/after table of docs/bench/README.md from two results.json files:
//   npx tsx test/bench/markdown.ts docs/bench/before.json docs/bench/results.json
import { readFileSync } from 'node:fs';
import type { Figure } from './report';

const [beforeFile, afterFile] = process.argv.slice(2);
const read = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as { figures: Figure[]; generatedAt: string; mode: string; cost?: { perMillionMessages: unknown; fixedMonthly: unknown; inputs: unknown } };
const before = read(beforeFile!);
const after = read(afterFile!);
const cell = (f: Figure | undefined) =>
  f ? `${f.value.toLocaleString('en-US')} ${f.unit}${f.ratio === undefined ? '' : ` (${f.ratio.toFixed(2)}×)`}` : '—';
const rows = after.figures.map((f) => {
  const b = before.figures.find((x) => x.phase === f.phase);
  const floor = f.floorPhase ? `${f.floor?.toLocaleString('en-US')} ${f.unit}` : '';
  const target = f.target ? `${f.target}×` : '';
  return `| ${f.phase} | ${cell(b)} | ${cell(f)} | ${floor} | ${target} |`;
});
console.log(`| phase | before (${before.mode}, ${before.generatedAt.slice(0, 16)}) | after (${after.mode}, ${after.generatedAt.slice(0, 16)}) | after's floor | target |`);
console.log('|---|---|---|---|---|');
console.log(rows.join('\n'));
if (after.cost) console.log(`\n\`\`\`json\n${JSON.stringify({ inputs: after.cost.inputs, perMillionMessages: after.cost.perMillionMessages, fixedMonthly: after.cost.fixedMonthly }, null, 2)}\n\`\`\``);
