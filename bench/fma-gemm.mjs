#!/usr/bin/env node
/**
 * Plain SIMD vs relaxed-SIMD FMA build of the wasm kernels: SGEMM and DGEMM GFLOP/s, single
 * thread, same process, interleaved (plain, fma, plain, fma, … per size), so both see the same
 * machine load. Needs relaxed SIMD: on Node 20 run it as
 *
 *   node --experimental-wasm-relaxed-simd bench/fma-gemm.mjs [--sizes=256,512,1024] [--rounds=7]
 *
 * Loads wasm/curvature.wasm and wasm/curvature-fma.wasm directly (no JS glue, as
 * bench/wasm-gemm.mjs), checks that the two modules' C = A·B agree (relative Frobenius error,
 * printed) before timing, then takes per module and size the median and the best of `rounds`
 * samples, a sample being enough back-to-back cv_gemm calls to last ≥ 50 ms (the best is the figure
 * least disturbed by other load on a shared machine). GFLOP/s = 2·n³ / t. A benchmark, not a test:
 * it asserts nothing about time.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const opt = (name, dflt) => args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? dflt;
const sizes = opt('sizes', '256,512,1024').split(',').map(Number);
const rounds = Number(opt('rounds', '7'));

/** Instantiates a standalone kernels module (imports: emscripten_notify_memory_growth only). */
function load(file) {
  const mod = new WebAssembly.Module(readFileSync(join(here, '..', 'wasm', file)));
  const inst = new WebAssembly.Instance(mod, { env: { emscripten_notify_memory_growth: () => {} } });
  inst.exports._initialize?.();
  return inst.exports;
}

let modules;
try {
  modules = { plain: load('curvature.wasm'), fma: load('curvature-fma.wasm') };
} catch (err) {
  console.error(`cannot load the FMA module (${err.message}); on Node 20 run with --experimental-wasm-relaxed-simd`);
  process.exit(1);
}

let seed = 0x2545f491;
const uniform = () => {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return ((seed >>> 0) + 0.5) / 4294967296 - 0.5;
};

/** A, B, C of n×n in each module's memory, the same A and B in both. */
function setup(n, dtype) {
  const Arr = dtype === 'f32' ? Float32Array : Float64Array;
  const a = Arr.from({ length: n * n }, uniform), b = Arr.from({ length: n * n }, uniform);
  const out = {};
  for (const [name, w] of Object.entries(modules)) {
    const bytes = n * n * Arr.BYTES_PER_ELEMENT;
    const [pa, pb, pc] = [w.cv_malloc(bytes), w.cv_malloc(bytes), w.cv_malloc(bytes)];
    if (!pa || !pb || !pc) throw new Error(`${name}: cv_malloc failed`);
    new Arr(w.memory.buffer, pa, n * n).set(a);
    new Arr(w.memory.buffer, pb, n * n).set(b);
    const gemm = dtype === 'f32' ? w.cv_gemm_f32 : w.cv_gemm_f64;
    out[name] = {
      run: () => gemm(0, 0, n, n, n, 1, pa, n, pb, n, 0, pc, n),
      result: () => new Arr(w.memory.buffer, pc, n * n).slice(),
      free: () => { w.cv_free(pa); w.cv_free(pb); w.cv_free(pc); },
    };
  }
  return out;
}

/** Seconds per call: enough calls to last ≥ 50 ms. */
function sample(run, reps) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < reps; i++) run();
  return Number(process.hrtime.bigint() - t0) / 1e9 / reps;
}

const median = (xs) => [...xs].sort((x, y) => x - y)[xs.length >> 1];
const rows = [];
for (const dtype of ['f32', 'f64']) {
  for (const n of sizes) {
    const m = setup(n, dtype);
    m.plain.run();
    m.fma.run();
    const [p, f] = [m.plain.result(), m.fma.result()];
    let num = 0, den = 0;
    for (let i = 0; i < p.length; i++) { num += (f[i] - p[i]) ** 2; den += p[i] ** 2; }
    const diff = Math.sqrt(num / den);
    // Warm-up (V8 tiers the modules up) and the repetition count of a sample.
    const reps = {};
    for (const k of ['plain', 'fma']) {
      let r = 1;
      while (sample(m[k].run, r) * r < 0.05) r *= 2;
      reps[k] = r;
    }
    const times = { plain: [], fma: [] };
    for (let i = 0; i < rounds; i++) for (const k of ['plain', 'fma']) times[k].push(sample(m[k].run, reps[k]));
    const gf = (k) => (2 * n ** 3) / median(times[k]) / 1e9;
    const best = (k) => (2 * n ** 3) / Math.min(...times[k]) / 1e9;
    rows.push({ op: dtype === 'f32' ? 'SGEMM' : 'DGEMM', n, plain: gf('plain'), fma: gf('fma'), plainBest: best('plain'), fmaBest: best('fma'), diff });
    const r = rows.at(-1);
    console.error(`${r.op} n=${n}: plain ${r.plain.toFixed(1)}, fma ${r.fma.toFixed(1)} GFLOP/s (×${(r.fma / r.plain).toFixed(2)}); results differ by ${diff.toExponential(1)}`);
    m.plain.free();
    m.fma.free();
  }
}

console.log(`\nwasm GEMM, plain SIMD vs relaxed-SIMD FMA, 1 thread, Node ${process.version} ${process.execArgv.join(' ')}, ` +
  `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${new Date().toISOString().slice(0, 10)}; median (best) of ${rounds} interleaved samples; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs\n`);
console.log('| op | n | plain GFLOP/s | FMA GFLOP/s | FMA / plain (median) | FMA / plain (best) | rel. difference |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.op} | ${r.n} | ${r.plain.toFixed(1)} (${r.plainBest.toFixed(1)}) | ${r.fma.toFixed(1)} (${r.fmaBest.toFixed(1)}) | ` +
    `${(r.fma / r.plain).toFixed(2)} | ${(r.fmaBest / r.plainBest).toFixed(2)} | ${r.diff.toExponential(1)} |`);
}
