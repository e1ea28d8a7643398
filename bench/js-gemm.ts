/**
 * Timing script (not a test) for the pure-JS GEMM kernel: the new (blocked/packed) kernel in
 * src/backend/js/gemm.ts against a copy of the naive i-p-j loop it replaced.
 *
 *   npx tsc -p . && node dist/bench/js-gemm.js [--quick] [filter]
 *
 * Prints GFLOP/s = 2·m·n·k / t (median of several samples, each sample long enough to time)
 * and, as a sanity check, the max |new − naive| / Σ|a||b| over a sample of output rows.
 */
import { gemmKernel } from '../src/backend/js/gemm.js';
import type { TypedArray } from '../src/backend/types.js';

/** The kernel before blocking, verbatim: i-p-j loops with a Float64Array row accumulator. */
function naiveGemm(
  transA: boolean, transB: boolean, m: number, n: number, k: number, alpha: number,
  a: TypedArray, aOff: number, lda: number, b: TypedArray, bOff: number, ldb: number,
  beta: number, c: TypedArray, cOff: number, ldc: number,
): void {
  const acc = new Float64Array(n);
  let bRows = b, bRowOff = bOff, bLd = ldb;
  if (transB) {
    const bt = new Float64Array(k * n);
    for (let j = 0; j < n; j++) for (let p = 0; p < k; p++) bt[p * n + j] = b[bOff + j * ldb + p]!;
    bRows = bt; bRowOff = 0; bLd = n;
  }
  for (let i = 0; i < m; i++) {
    acc.fill(0);
    for (let p = 0; p < k; p++) {
      const aip = transA ? a[aOff + p * lda + i]! : a[aOff + i * lda + p]!;
      const row = bRowOff + p * bLd;
      for (let j = 0; j < n; j++) acc[j]! += aip * bRows[row + j]!;
    }
    const crow = cOff + i * ldc;
    if (beta === 0) for (let j = 0; j < n; j++) c[crow + j] = alpha * acc[j]!;
    else for (let j = 0; j < n; j++) c[crow + j] = alpha * acc[j]! + beta * c[crow + j]!;
  }
}

type Gemm = typeof gemmKernel;
type Dtype = 'f64' | 'f32';
interface Case { name: string; dtype: Dtype; tA: boolean; tB: boolean; m: number; n: number; k: number }

const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filter = args.find((s) => !s.startsWith('--'));

const cases: Case[] = [];
for (const s of [16, 32, 64, 128, 256, 512, 1024]) {
  for (const dtype of ['f64', 'f32'] as const) {
    if (s === 1024 && dtype === 'f32') continue;
    cases.push({ name: `square ${s} NN`, dtype, tA: false, tB: false, m: s, n: s, k: s });
  }
}
cases.push({ name: 'square 256 TT', dtype: 'f64', tA: true, tB: true, m: 256, n: 256, k: 256 });
// MLP 784-16-10 on a batch of 5000: forward, backward and HVP products.
const mlp: [string, boolean, boolean, number, number, number][] = [
  ['X[5000,784]·W1[16,784]ᵀ   NT', false, true, 5000, 16, 784],
  ['X[5000,784]·W1ᵀ[784,16]   NN', false, false, 5000, 16, 784],
  ['δ[5000,16]ᵀ·X[5000,784]   TN', true, false, 16, 784, 5000],
  ['δᵀ[16,5000]·X[5000,784]   NN', false, false, 16, 784, 5000],
  ['δ[5000,16]·W1[16,784]     NN', false, false, 5000, 784, 16],
  ['H[5000,16]·W2[10,16]ᵀ     NT', false, true, 5000, 10, 16],
  ['H[5000,16]·W2ᵀ[16,10]     NN', false, false, 5000, 10, 16],
  ['H[5000,16]ᵀ·δ[5000,10]    TN', true, false, 16, 10, 5000],
  ['δ[5000,10]·W2[10,16]      NN', false, false, 5000, 16, 10],
];
// Matrix-vector products (the gemv path), e.g. CG on an explicit Hessian, Jacobian-vector products.
mlp.push(
  ['H[784,784]·v               NN', false, false, 784, 1, 784],
  ['X[5000,784]·v              NN', false, false, 5000, 1, 784],
  ['uᵀ·X[5000,784]             NN', false, false, 1, 784, 5000],
  ['X[5000,784]ᵀ·u             TN', true, false, 784, 1, 5000],
);
for (const [name, tA, tB, m, n, k] of mlp) {
  cases.push({ name, dtype: 'f64', tA, tB, m, n, k });
  if (tB || tA) cases.push({ name, dtype: 'f32', tA, tB, m, n, k });
}

function randomArray(dtype: Dtype, len: number, seed: number): TypedArray {
  const out = dtype === 'f64' ? new Float64Array(len) : new Float32Array(len);
  let s = seed >>> 0;
  for (let i = 0; i < len; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

const now = (): number => Number(process.hrtime.bigint()) / 1e9;

/** Median seconds per call over `samples` samples of `reps` calls each. */
function time(f: () => void, samples: number, minSample: number): number {
  f();
  let reps = 1;
  for (;;) { // grow reps until one sample takes at least minSample seconds
    const t0 = now();
    for (let r = 0; r < reps; r++) f();
    const dt = now() - t0;
    if (dt >= minSample || reps >= 1 << 20) break;
    reps = Math.max(reps * 2, Math.ceil(reps * minSample / Math.max(dt, 1e-6)));
  }
  const ts: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = now();
    for (let r = 0; r < reps; r++) f();
    ts.push((now() - t0) / reps);
  }
  ts.sort((x, y) => x - y);
  return ts[ts.length >> 1]!;
}

function run(cs: Case): void {
  const { dtype, tA, tB, m, n, k } = cs;
  const a = randomArray(dtype, m * k, 1), b = randomArray(dtype, k * n, 2);
  const lda = tA ? m : k, ldb = tB ? k : n, ldc = n;
  const cNew = randomArray(dtype, m * n, 3), cOld = randomArray(dtype, m * n, 3);
  const call = (g: Gemm, c: TypedArray) => (): void => g(tA, tB, m, n, k, 1, a, 0, lda, b, 0, ldb, 0, c, 0, ldc);
  const big = 2 * m * n * k > 5e8;
  const samples = quick ? 3 : big ? 3 : 7, minSample = quick ? 0.02 : 0.05;
  const tOld = time(call(naiveGemm, cOld), samples, minSample);
  const tNew = time(call(gemmKernel, cNew), samples, minSample);
  // Sanity: both outputs against Σ|a||b| (the accumulated magnitude) for a few rows.
  let err = 0;
  for (let i = 0; i < m; i += Math.max(1, m >> 4)) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = tA ? a[p * lda + i]! : a[i * lda + p]!;
        const bv = tB ? b[j * ldb + p]! : b[p * ldb + j]!;
        s += Math.abs(av * bv);
      }
      err = Math.max(err, Math.abs(cNew[i * ldc + j]! - cOld[i * ldc + j]!) / s);
    }
  }
  const gf = (t: number): string => (2 * m * n * k / t / 1e9).toFixed(2).padStart(6);
  console.log(`${cs.name.padEnd(30)} ${dtype}  ${`${m}×${n}×${k}`.padEnd(15)} naive ${gf(tOld)}  ` +
    `new ${gf(tNew)} GFLOP/s  ×${(tOld / tNew).toFixed(2).padStart(5)}   err ${err.toExponential(1)}`);
}

console.log(`node ${process.version}; GFLOP/s = 2mnk/t, median of samples`);
for (const cs of cases) if (!filter || `${cs.name} ${cs.dtype}`.includes(filter)) run(cs);
