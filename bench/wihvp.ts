/**
 * W-IHVP timings per solver and backend (../shared/WORKLOADS.md): fit + solve wall time, iterations
 * and accuracy of every registered solver on mlp-small, one run each (a solve takes seconds to
 * minutes, so benchmark.js's repeated sampling does not apply). Writes bench/wihvp.json, which
 * bench/RESULTS.md's W-IHVP section is rendered from (bench/wihvp-report.ts; the file is re-rendered
 * whole after each run, bench/results-md.ts).
 *
 *   node dist/bench/wihvp.js [--backends wasm,js] [--points 1] [--only label,label] [--skip label,label]
 *
 * Defaults: every backend that loads, 1 test point; `direct` only on wasm (on js it is ≈ 40 min).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as c from '../src/index.js';
import { writeResultsMd } from './results-md.js';
import { formatWihvpRow, solverCases, WIHVP_HEADER, WihvpProblem, type WihvpRow } from './wihvp-problem.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const backends = flag('--backends')?.split(',') ?? c.listBackends().map((b) => b.name);
const points = Number(flag('--points') ?? 1);
const only = flag('--only')?.split(',');
const skip = flag('--skip')?.split(',') ?? [];
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const file = join(root, 'bench', 'wihvp.json');

const previous: WihvpRow[] = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { rows: WihvpRow[] }).rows : [];
const rows: WihvpRow[] = [];
console.log(WIHVP_HEADER);
for (const backend of backends) {
  try { c.setBackend(backend); } catch (err) { console.log(`(backend ${backend} unavailable: ${(err as Error).message})`); continue; }
  const problem = new WihvpProblem(points);
  for (const sc of solverCases(problem.model)) {
    if (only ? !only.includes(sc.label) : skip.includes(sc.label) || (sc.label === 'direct' && backend !== 'wasm')) continue;
    const row = { ...problem.run(sc), date: new Date().toISOString() };
    rows.push(row);
    console.log(formatWihvpRow(row));
  }
}
// Rows not re-run this time are kept (a partial run with --only updates its rows only).
const key = (r: WihvpRow): string => `${r.backend}/${r.solver}/${r.damping}/${r.points}`;
const fresh = new Set(rows.map(key));
const merged = [...previous.filter((r) => !fresh.has(key(r))), ...rows];
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), command: `node dist/bench/wihvp.js ${args.join(' ')}`.trim(), rows: merged }, null, 2) + '\n');
console.log(`wrote ${file} and ${writeResultsMd(dirname(file))}`);
