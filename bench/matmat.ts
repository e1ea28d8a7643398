import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import * as c from '../src/index.js';
import { describeMachine } from './machine.js';
import type { MatmatFile, MatmatRun } from './matmat-report.js';
import { BENCH_DIR, writeResultsMd } from './results-md.js';
import { matmulFlops, whvpProblem } from './whvp.js';

/**
 * Batched HVP (issue 11 item 3) on the W-HVP problem (MLP 784 → 128 → tanh → 128 → tanh → 10,
 * cross-entropy, float32, 118,282 parameters): time per HVP of hessianOperator(...).matmat(V) with
 * V of k columns, against k = 1 (one matvec), with the matmul flops of k forward-over-reverse HVPs
 * (bench/whvp.ts matmulFlops) and the achieved rate against the backend's GEMM rate measured in
 * the same run (a square GEMM of the layer size and the first layer's B×784·784×128 shape), for
 * each of W-HVP's batch sizes asked for (default 256 and 1024).
 *
 * A product is timed up to a one-element read of its result, which waits for it on any backend:
 * the [P, k] block itself stays on the backend, as in the block solvers and sketches that call
 * matmat (reading 15 MB into a fresh JavaScript array would add ~4 ms at k = 32, none of it HVP).
 *
 *   npx tsc -p . && node dist/bench/matmat.js [--backends wasm,js,native] [--batch 256,1024] [--ks 1,8,32,64] [--seconds 3] [--threads 1] [--out DIR]
 *
 * Writes bench/matmat.json (one run per backend and batch size: a run replaces the runs of the same
 * backend and batch size and keeps the others; --out DIR: DIR/matmat.json, nothing merged) and
 * re-renders bench/RESULTS.md, whose "Batched HVP" section comes from it (bench/matmat-report.ts).
 */

const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};
const backends = arg('backends', 'wasm').split(',');
const batches = arg('batch', '256,1024').split(',').map(Number);
const ks = arg('ks', '1,8,32,64').split(',').map(Number);
const seconds = Number(arg('seconds', '3'));
// The native addon's pool would use every core; its rows are one thread, like the other backends'.
const nativeThreads = Number(arg('threads', '1'));

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;

/** Median wall ms of fn after one warm-up call, repeated until `seconds` are spent (at least 3 calls). */
function time(fn: () => void): { ms: number; samples: number } {
  fn();
  const t: number[] = [];
  const start = performance.now();
  while (t.length < 3 || performance.now() - start < seconds * 1000) {
    const t0 = performance.now();
    fn();
    t.push(performance.now() - t0);
  }
  return { ms: median(t), samples: t.length };
}

const runs: MatmatRun[] = [];
for (const backend of backends) for (const batch of batches) {
  c.setBackend(backend);
  if (backend === 'native') c.setNativeThreads(nativeThreads);
  const machine = describeMachine();
  const run: MatmatRun = { date: new Date().toISOString(), command: `node dist/bench/matmat.js ${process.argv.slice(2).join(' ')}`.trim(), machine, backend, batch, seconds, gemm: [], rows: [] };
  // GEMM rate of this backend in this run, on the shapes the HVP runs.
  const gemm: [string, number, number, number][] = [[`B×784·784×128 (B=${batch})`, batch, 784, 128], ['512×512·512×512', 512, 512, 512]];
  const rates: number[] = [];
  for (const [label, m, k, n] of gemm) {
    const a = c.keep(c.randomNormal([m, k], { seed: 1, dtype: 'float32' }));
    const b = c.keep(c.randomNormal([k, n], { seed: 2, dtype: 'float32' }));
    const r = time(() => c.tidy(() => c.matmul(a, b).dataSync()));
    const gflops = (2 * m * k * n) / r.ms / 1e6;
    rates.push(gflops);
    run.gemm.push({ label, gflops });
    console.log(`${backend} GEMM ${label}: ${r.ms.toFixed(3)} ms, ${gflops.toFixed(2)} GFLOP/s (${r.samples} samples)`);
    a.dispose(); b.dispose();
  }
  const p = whvpProblem(batch);
  const op = c.hessianOperator(p.objective, p.theta, p.data, { batchSize: batch });
  const P = p.model.numParams;
  const perHvp = matmulFlops(batch).hvp;
  // Of the 3U₁ + 8U₂ + 8U₃ of one HVP, the primal passes (forward U₁+U₂+U₃, input gradients
  // U₂+U₃) are shared by the k directions of a batched product; the rest is tangent work.
  const u = (i: number) => 2 * batch * [784, 128, 128, 10][i - 1]! * [784, 128, 128, 10][i]!;
  const primal = u(1) + 2 * u(2) + 2 * u(3), tangentWork = perHvp - primal;
  console.log(`\n${backend}, B = ${batch}, P = ${P}\n| backend | k | wall ms per HVP | CPU ms per HVP | matmul GFLOP per HVP (run) | GFLOP/s (wall) | GEMM GFLOP/s (wall, interleaved) | % of GEMM rate (wall) | % (CPU time) | samples |\n|---|---|---|---|---|---|---|---|---|---|`);
  // Interleaved with the reference GEMM (one call of each per round), so that both see the same
  // machine load; wall and process CPU time (less sensitive to other processes) both reported.
  const ga = c.keep(c.randomNormal([batch, 784], { seed: 1, dtype: 'float32' }));
  const gb = c.keep(c.randomNormal([784, 128], { seed: 2, dtype: 'float32' }));
  const gemmFlops = 2 * batch * 784 * 128;
  for (const k of ks) {
    const V = c.keep(c.randomNormal([P, k], { seed: 7, dtype: 'float32' }));
    const fns = [() => c.tidy(() => c.matmul(ga, gb).dataSync()),
      () => c.tidy(() => { c.slice(c.reshape(k === 1 ? op.matvec(c.reshape(V, [P])) : op.matmat!(V), [-1]), [0], [1]).dataSync(); })];
    const wall: number[][] = [[], []], cpu: number[][] = [[], []];
    fns.forEach((f) => f());
    const start = performance.now();
    while (wall[1]!.length < 3 || performance.now() - start < seconds * 1000) {
      fns.forEach((f, i) => {
        const reps = i === 0 ? 10 : 1;
        const c0 = process.cpuUsage(), t0 = performance.now();
        for (let r = 0; r < reps; r++) f();
        wall[i]!.push((performance.now() - t0) / reps);
        const d = process.cpuUsage(c0);
        cpu[i]!.push((d.user + d.system) / 1000 / reps);
      });
    }
    const flops = primal / k + tangentWork;
    const ms = median(wall[1]!) / k, cms = median(cpu[1]!) / k;
    const gw = gemmFlops / median(wall[0]!) / 1e6, gc = gemmFlops / median(cpu[0]!) / 1e6;
    const rate = flops / ms / 1e6, crate = flops / cms / 1e6;
    run.rows.push({ k, wallMs: ms, cpuMs: cms, gflop: flops / 1e9, gflops: rate, gemmGflops: gw, pctWall: (100 * rate) / gw, pctCpu: (100 * crate) / gc, samples: wall[1]!.length });
    console.log(`| ${backend} | ${k} | ${ms.toFixed(2)} | ${cms.toFixed(2)} | ${(flops / 1e9).toFixed(4)} | ${rate.toFixed(1)} | ${gw.toFixed(1)} | ${((100 * rate) / gw).toFixed(0)} % | ${((100 * crate) / gc).toFixed(0)} % | ${wall[1]!.length} |`);
    V.dispose();
  }
  console.log('');
  machine.loadAfter = loadavg().map((x) => +x.toFixed(2));
  runs.push(run);
}
const outArg = arg('out', '');
const file = join(outArg || BENCH_DIR, 'matmat.json');
const previous: MatmatRun[] = !outArg && existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as MatmatFile).runs : [];
const merged: MatmatFile = { runs: [...previous.filter((r) => !runs.some((q) => q.backend === r.backend && q.batch === r.batch)), ...runs] };
writeFileSync(file, JSON.stringify(merged, null, 2) + '\n');
if (!outArg) writeResultsMd(BENCH_DIR);
console.log(`wrote ${file}${outArg ? '' : ' and bench/RESULTS.md'}`);
