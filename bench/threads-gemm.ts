/**
 * Multi-threaded GEMM of the wasm backend (setWasmThreads) or the native addon (--backend=native,
 * setNativeThreads): GFLOP/s with 1 and 2 threads, ours alone (no peer process between the calls).
 *
 *   npx tsc -p . && node dist/bench/threads-gemm.js [--backend=wasm|native] [--rounds=N] [--sizes=64,128,...] [--threads=2] [--whvp]
 *
 * Square C = A·B (W-GEMM of ../shared/WORKLOADS.md) in float32 and float64, through
 * WasmBackend.gemm (the path tensors take). The pool stays up for the whole run; the one-thread
 * figures come from the same pool with minFlops set above the problem (so no band is posted), the
 * multi-thread ones with minFlops 0. One round times both, alternating which goes first, so that
 * slow phases of a shared machine hit both alike; a sample is enough back-to-back calls to take
 * ≥ 50 ms; the table gives medians over the rounds (GFLOP/s = 2n³/t) and the median of the
 * per-round speedups. Then tanh and exp over 2^20 elements (the elementwise maps that are split too).
 * --whvp also times the W-HVP gradient (MLP 784-128-128-10, batch 1024) both ways.
 * Writes bench/threads.json (native: bench/threads-native.json; --out DIR: in DIR instead) and
 * re-renders bench/RESULTS.md, whose Threads sections come from them (bench/threads-report.ts).
 */
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import * as c from '../src/index.js';
import { describeMachine } from './machine.js';
import { BENCH_DIR, writeResultsMd } from './results-md.js';
import type { ThreadsRun } from './threads-report.js';
import { whvpProblem } from './whvp.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const rounds = Number(arg('rounds') ?? 9);
const sizes = (arg('sizes') ?? '256,512,1024').split(',').map(Number);
const threads = Number(arg('threads') ?? 2);

const backend = arg('backend') ?? 'wasm';
if (backend !== 'wasm' && backend !== 'native') throw new Error(`--backend must be wasm or native, got ${backend}`);
const be = c.setBackend(backend);
// One thread: the same pool with minFlops above the problem (no band is posted); many: minFlops 0.
const setThreads = (n: number, options?: { minFlops: number }): void => {
  if (backend === 'native') c.setNativeThreads(n, options);
  else c.setWasmThreads(n, options);
};
const one = (): void => setThreads(threads, { minFlops: Number.MAX_VALUE });
const many = (): void => setThreads(threads, { minFlops: 0 });

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/**
 * Wall seconds per call of fn (enough calls to take ≥ 50 ms) and CPU seconds per call of the whole
 * process (all threads: process.cpuUsage). CPU time does not depend on what else the machine
 * runs, so cpu(N threads) / cpu(1 thread) is the work the split adds (packing twice, waking and
 * waiting), which caps the speedup on idle cores at N / that ratio (an upper bound).
 */
function sample(fn: () => void): { wall: number; cpu: number } {
  let reps = 0;
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let t = t0;
  do {
    fn();
    reps++;
    t = performance.now();
  } while (t - t0 < 50);
  const cu = process.cpuUsage(c0);
  return { wall: (t - t0) / 1000 / reps, cpu: (cu.user + cu.system) / 1e6 / reps };
}

interface Samples { t1: number[]; tN: number[]; c1: number[]; cN: number[] }

/** Per-round samples of fn under `single` and `split`, alternating the order. */
function compare(fn: () => void, single = one, split = many): Samples {
  const s: Samples = { t1: [], tN: [], c1: [], cN: [] };
  const run1 = (): void => { single(); const x = sample(fn); s.t1.push(x.wall); s.c1.push(x.cpu); };
  const runN = (): void => { split(); const x = sample(fn); s.tN.push(x.wall); s.cN.push(x.cpu); };
  single(); fn(); split(); fn(); // warm-up (V8 tiers the module up; workers start)
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) { run1(); runN(); } else { runN(); run1(); }
  }
  return s;
}

const machine = describeMachine();
const run: ThreadsRun = {
  date: new Date().toISOString(), command: `node dist/bench/threads-gemm.js${args.length ? ` ${args.join(' ')}` : ''}`, machine,
  node: process.version, backend, threads, rounds, gemm: [], maps: [],
};
many();
const rows: string[] = [];
for (const dtype of ['float32', 'float64'] as const) {
  for (const n of sizes) {
    const a = be.alloc(dtype, n * n), b = be.alloc(dtype, n * n), out = be.alloc(dtype, n * n);
    be.write(a, Float64Array.from({ length: n * n }, (_, i) => Math.sin(i)));
    be.write(b, Float64Array.from({ length: n * n }, (_, i) => Math.cos(i)));
    const { t1, tN, c1, cN } = compare(() => be.gemm(false, false, n, n, n, 1, a, 0, n, b, 0, n, 0, out, 0, n));
    const g = (t: number): string => (2 * n ** 3 / t / 1e9).toFixed(1);
    const speedup = median(t1.map((x, i) => x / tN[i]!));
    const work = median(cN) / median(c1);
    run.gemm.push({ dtype, n, gflops1: 2 * n ** 3 / median(t1) / 1e9, gflopsN: 2 * n ** 3 / median(tN) / 1e9, speedup, cpuRatio: work });
    rows.push(`| ${dtype} | ${n} | ${g(median(t1))} | ${g(median(tN))} | ${speedup.toFixed(2)}× | ${work.toFixed(3)} | ${(threads / work).toFixed(2)}× |`);
    console.error(`${dtype} n=${n}: ${rows[rows.length - 1]}`);
    for (const x of [a, b, out]) be.free(x);
  }
}

console.log(`\n${backend} GEMM C = A·B, ${threads} threads vs 1 (Node ${process.version}, ${rounds} rounds; median GFLOP/s, median per-round speedup)\n`);
console.log(`| dtype | n | 1 thread GFLOP/s | ${threads} threads GFLOP/s | speedup (wall) | CPU time ${threads} / 1 | cap on idle cores |`);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(r);

// Transcendental elementwise maps (split in chunks from 2·128³ / 100 elements by default).
const mapRows: string[] = [];
for (const dtype of ['float32', 'float64'] as const) {
  const n = 1 << 20;
  const x = be.alloc(dtype, n), out = be.alloc(dtype, n);
  be.write(x, Float64Array.from({ length: n }, (_, i) => 8 * Math.sin(i)));
  for (const op of ['tanh', 'exp'] as const) {
    const { t1, tN, c1, cN } = compare(() => be.unary(op, x, out, n));
    const ns = (t: number): string => (t / n * 1e9).toFixed(2);
    run.maps.push({ op, dtype, ns1: median(t1) / n * 1e9, nsN: median(tN) / n * 1e9, speedup: median(t1.map((v, i) => v / tN[i]!)), cpuRatio: median(cN) / median(c1) });
    mapRows.push(`| ${op} | ${dtype} | ${ns(median(t1))} | ${ns(median(tN))} | ${median(t1.map((v, i) => v / tN[i]!)).toFixed(2)}× | ${(median(cN) / median(c1)).toFixed(3)} |`);
  }
  be.free(x);
  be.free(out);
}
console.log(`\nelementwise map of 2^20 elements, ${threads} threads vs 1 (ns per element, medians)\n`);
console.log(`| op | dtype | 1 thread ns | ${threads} threads ns | speedup (wall) | CPU time ${threads} / 1 |`);
console.log('|---|---|---|---|---|---|');
for (const r of mapRows) console.log(r);

if (args.includes('--whvp')) {
  const p = whvpProblem(1024);
  const loss = (t: c.Tensor): c.Tensor => p.objective.dataLoss(t, p.data);
  const gradient = (): void => { c.tidy(() => c.grad(loss, p.theta).dataSync()); };
  // The default minFlops, as a user would run it, against no split at all.
  const { t1, tN, c1, cN } = compare(gradient, one, () => setThreads(threads));
  const speedup = median(t1.map((x, i) => x / tN[i]!));
  run.whvp = { batch: 1024, ms1: median(t1) * 1000, msN: median(tN) * 1000, speedup, cpuRatio: median(cN) / median(c1) };
  console.log(`\nW-HVP gradient (batch 1024, float32): 1 thread ${(median(t1) * 1000).toFixed(1)} ms, ${threads} threads ${(median(tN) * 1000).toFixed(1)} ms (median per-round speedup ${speedup.toFixed(2)}×; CPU time ${threads} / 1: ${(median(cN) / median(c1)).toFixed(3)})`);
}
if (backend === 'wasm') c.setWasmThreads(1);
machine.loadAfter = loadavg().map((x) => +x.toFixed(2));
const out = arg('out');
const file = backend === 'native' ? 'threads-native.json' : 'threads.json';
writeFileSync(join(out ?? BENCH_DIR, file), JSON.stringify(run, null, 2) + '\n');
if (!out) writeResultsMd(BENCH_DIR);
console.log(`wrote ${join(out ?? BENCH_DIR, file)}${out ? '' : ' and bench/RESULTS.md'}`);
process.exit(0); // the wasm thread pool keeps the process alive otherwise
