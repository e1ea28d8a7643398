/**
 * Timing script (not a test; writes nothing): SGEMM and DGEMM GFLOP/s of the native backend (C++
 * addon, AVX-512, AVX2+FMA or portable micro-kernels; `--cap avx2` caps them) against the wasm backend, one thread each, interleaved
 * in one run at n = 512 and 1024 (square, no transposes, β = 0).
 *
 *   npm run build:native && npx tsc -p . && node dist/bench/native-gemm.js [sizes…]
 *
 * GFLOP/s = 2n³ / t, t the median of 5 samples after a warm-up; each line also prints the largest
 * |native − wasm| relative to n (a sanity check that both computed the same product).
 */
import { setBackend } from '../src/backend/registry.js';
import type { Backend, BackendBuffer } from '../src/backend/types.js';
import { setWasmThreads } from '../src/backend/wasm/threads.js';

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function operands(b: Backend, dtype: 'float32' | 'float64', n: number, seed: number): BackendBuffer[] {
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  return [0, 1, 2].map((i) => {
    const buf = b.alloc(dtype, n * n);
    if (i < 2) b.write(buf, Float64Array.from({ length: n * n }, rnd));
    return buf;
  });
}

function time(b: Backend, bufs: BackendBuffer[], n: number): number {
  const [a, x, c] = bufs as [BackendBuffer, BackendBuffer, BackendBuffer];
  const t0 = performance.now();
  b.gemm(false, false, n, n, n, 1, a, 0, n, x, 0, n, 0, c, 0, n);
  return (performance.now() - t0) / 1e3;
}

const args = process.argv.slice(2);
const capAt = args.indexOf('--cap');
const cap = capAt >= 0 ? args.splice(capAt, 2)[1] : undefined;
const sizes = args.map(Number).filter((v) => v > 0);
setWasmThreads(1);
const wasm = setBackend('wasm');
const native = setBackend('native') as Backend & { info(): { kernel: string }; kernelCap(c: string): string };
if (cap) native.kernelCap(cap);
console.log(`native kernels: ${native.info().kernel}; wasm: 1 thread; Node ${process.version}`);
for (const n of sizes.length ? sizes : [512, 1024]) {
  for (const dtype of ['float32', 'float64'] as const) {
    const nb = operands(native, dtype, n, 7), wb = operands(wasm, dtype, n, 7);
    time(native, nb, n);
    time(wasm, wb, n);
    const tn: number[] = [], tw: number[] = [];
    for (let r = 0; r < 5; r++) { tn.push(time(native, nb, n)); tw.push(time(wasm, wb, n)); }
    const cn = native.read(nb[2]!), cw = wasm.read(wb[2]!);
    let diff = 0;
    for (let i = 0; i < cn.length; i++) diff = Math.max(diff, Math.abs(cn[i]! - cw[i]!));
    const gf = (t: number) => (2 * n ** 3) / t / 1e9;
    console.log(`${dtype === 'float32' ? 'SGEMM' : 'DGEMM'} n=${n}: native ${gf(median(tn)).toFixed(1)} GFLOP/s, wasm ${gf(median(tw)).toFixed(1)} GFLOP/s (×${(median(tw) / median(tn)).toFixed(2)}), max|Δ|/n ${(diff / n).toExponential(1)}`);
  }
}
