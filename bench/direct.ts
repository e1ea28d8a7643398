import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import * as c from '../src/index.js';
import type { DirectFile, DirectRun } from './direct-report.js';
import { describeMachine } from './machine.js';
import { BENCH_DIR, writeResultsMd } from './results-md.js';
import { WihvpProblem } from './wihvp-problem.js';

/**
 * Issue 11's `direct` measurement: fitSolver('direct') on the W-IHVP problem (mlp-small, exact
 * Hessian, float64) timed beside its FLOP floor at the DGEMM rate of the same run (bench/direct-report.ts
 * says how the floor is counted). Minutes on native, much longer on wasm (tens of minutes) and js (≈ 40).
 *
 *   npx tsc -p . && node dist/bench/direct.js [--backend native] [--threads 1]
 *
 * Writes bench/direct.json (a run replaces the one of the same backend and thread count) and
 * re-renders bench/RESULTS.md.
 */
const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const backend = arg('backend', 'native');
const threads = Number(arg('threads', '1'));
c.setBackend(backend);
if (backend === 'native') c.setNativeThreads(threads);
else if (backend === 'wasm' && threads > 1) c.setWasmThreads(threads);

/** Best-of-5 DGEMM n = 1024 rate, GFLOP/s. */
function dgemm(): number {
  const n = 1024;
  const a = c.keep(c.randomNormal([n, n], { seed: 1, dtype: 'float64' })), b = c.keep(c.randomNormal([n, n], { seed: 2, dtype: 'float64' }));
  let best = Infinity;
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    c.tidy(() => { c.matmul(a, b).dataSync(); });
    if (i > 0) best = Math.min(best, performance.now() - t0);
  }
  c.dispose([a, b]);
  return (2 * n ** 3) / best / 1e6;
}

const machine = describeMachine();
const problem = new WihvpProblem(1);
const widths = [784, 16, 10], N = 5000, P = problem.op.size, BLOCK = 64;
const u = (i: number): number => 2 * N * widths[i - 1]! * widths[i]!;
const blocks = Math.ceil(P / BLOCK);
const buildFlops = blocks * (u(1) + 2 * u(2)) + P * (2 * u(1) + 6 * u(2));
const dgemmBefore = dgemm();
const t0 = performance.now();
const solver = c.fitSolver('direct', problem.op, {});
const fitSeconds = (performance.now() - t0) / 1000;
const factorisation = String(solver.state?.().info['factorization'] ?? 'unknown');
solver.dispose();
const dgemmAfter = dgemm();
machine.loadAfter = loadavg().map((x) => +x.toFixed(2));

const run: DirectRun = {
  date: new Date().toISOString(), command: `node dist/bench/direct.js ${process.argv.slice(2).join(' ')}`.trim(), machine, backend, threads,
  n: P, examples: N, block: BLOCK, dgemmBefore, dgemmAfter, buildGflop: buildFlops / 1e9, choleskyGflop: P ** 3 / 3 / 1e9, fitSeconds,
  factorisation,
};
const file = join(BENCH_DIR, 'direct.json');
const old: DirectFile = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) as DirectFile : { runs: [] };
const runs = [...old.runs.filter((r) => r.backend !== backend || r.threads !== threads), run];
writeFileSync(file, JSON.stringify({ runs }, null, 1) + '\n');
const rate = (dgemmBefore + dgemmAfter) / 2, floor = (run.buildGflop + run.choleskyGflop) / rate;
console.log(`direct on mlp-small [${backend}, ${threads} thread(s)]: ${fitSeconds.toFixed(1)} s; floor ${floor.toFixed(1)} s at ${rate.toFixed(1)} GFLOP/s DGEMM → ${(fitSeconds / floor).toFixed(2)}×`);
console.log(`wrote ${file} and ${writeResultsMd(BENCH_DIR)}`);
