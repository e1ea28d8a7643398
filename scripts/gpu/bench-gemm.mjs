// GEMM throughput of the cuda backend (run by scripts/gpu/run.sh on the GPU machine, after tsc):
// square C = A·B (and the transposed variants at the largest size) in float32 and float64, timed
// over `reps` products after warm-ups, the stream synchronised around the timed loop. A few entries
// of the largest float32 product are checked against float64 dot products on the host.
// Prints JSON: { device, results: { "f32 NN 4096": { ms, gflops }, … }, check: { maxRelErr } }.
import { performance } from 'node:perf_hooks';
import { CudaBackend } from '../../dist/src/backend/cuda/index.js';

const b = new CudaBackend();
const sizes = [1024, 2048, 4096];
const results = {};

function random(n, seed) {
  const out = new Float64Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 4294967296 - 0.5;
  }
  return out;
}

function time(dtype, n, ta, tb, reps) {
  const a = b.alloc(dtype, n * n), bb = b.alloc(dtype, n * n), c = b.alloc(dtype, n * n);
  const A = random(n * n, 1), B = random(n * n, 2);
  b.write(a, A);
  b.write(bb, B);
  for (let i = 0; i < 2; i++) b.gemm(ta, tb, n, n, n, 1, a, 0, n, bb, 0, n, 0, c, 0, n);
  b.synchronize();
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) b.gemm(ta, tb, n, n, n, 1, a, 0, n, bb, 0, n, 0, c, 0, n);
  b.synchronize();
  const ms = (performance.now() - t0) / reps;
  const key = `${dtype === 'float32' ? 'f32' : 'f64'} ${ta ? 'T' : 'N'}${tb ? 'T' : 'N'} ${n}`;
  results[key] = { ms: +ms.toFixed(4), gflops: +((2 * n ** 3) / (ms * 1e6)).toFixed(1) };
  let check;
  if (n === 4096 && !ta && !tb) {
    const C = b.read(c);
    let worst = 0;
    for (let q = 0; q < 64; q++) {
      const i = (q * 977) % n, j = (q * 1931 + 7) % n;
      let s = 0, mag = 0;
      for (let p = 0; p < n; p++) {
        // the device multiplies the float32-rounded inputs
        const x = dtype === 'float32' ? Math.fround(A[i * n + p]) * Math.fround(B[p * n + j]) : A[i * n + p] * B[p * n + j];
        s += x;
        mag += Math.abs(x);
      }
      worst = Math.max(worst, Math.abs(C[i * n + j] - s) / mag);
    }
    check = worst;
  }
  b.free(a); b.free(bb); b.free(c);
  return check;
}

const checks = {};
for (const n of sizes) {
  const reps = n >= 4096 ? 10 : 20;
  const e = time('float32', n, false, false, reps);
  if (e !== undefined) checks['f32 NN 4096 max |err|/Σ|ab|'] = e;
}
for (const [ta, tb] of [[true, false], [false, true], [true, true]]) time('float32', 4096, ta, tb, 5);
for (const n of [1024, 4096]) {
  const e = time('float64', n, false, false, n >= 4096 ? 3 : 10);
  if (e !== undefined) checks['f64 NN 4096 max |err|/Σ|ab|'] = e;
}
// A K-FAC factor: AᵀA of a 65536×512 activation matrix (few tiles, long k: the split-K path).
{
  const m = 512, k = 65536;
  const a = b.alloc('float32', k * m), c = b.alloc('float32', m * m);
  b.write(a, random(k * m, 3));
  for (let i = 0; i < 2; i++) b.gemm(true, false, m, m, k, 1, a, 0, m, a, 0, m, 0, c, 0, m);
  b.synchronize();
  const reps = 10, t0 = performance.now();
  for (let i = 0; i < reps; i++) b.gemm(true, false, m, m, k, 1, a, 0, m, a, 0, m, 0, c, 0, m);
  b.synchronize();
  const ms = (performance.now() - t0) / reps;
  results['f32 TN 512x512x65536'] = { ms: +ms.toFixed(4), gflops: +((2 * m * m * k) / (ms * 1e6)).toFixed(1) };
  b.free(a); b.free(c);
}
console.log(JSON.stringify({ device: b.info(), results, checks, memory: b.memoryStats() }, null, 1));
