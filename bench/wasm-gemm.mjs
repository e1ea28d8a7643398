#!/usr/bin/env node
/**
 * GEMM throughput of the WebAssembly kernels (wasm/curvature.wasm), single thread.
 *
 *   node bench/wasm-gemm.mjs [path/to/module.wasm] [--quick] [--only=REGEX]
 *
 * Instantiates the standalone module directly (no JS glue), allocates with cv_malloc, fills
 * random normal data and times cv_gemm_f32 / cv_gemm_f64 on
 *  - W-GEMM: square C = A·B, n ∈ {64, 128, 256, 512, 1024} (WORKLOADS.md);
 *  - the matrix shapes of the W-HVP MLP (784 → 128 → 128 → 10, batch 1024) and two gemv shapes.
 * Each figure is the median of several samples, a sample being enough back-to-back calls to take
 * ≥ 30 ms after a warm-up (which also lets V8 tier the module up to optimized code).
 * GFLOP/s = 2·m·n·k / t. Prints a markdown table.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

const here = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const onlyArg = args.find((a) => a.startsWith('--only='));
const only = onlyArg ? new RegExp(onlyArg.slice(7)) : null;
const modulePath = resolve(args.find((a) => !a.startsWith('--')) ?? join(here, '..', 'wasm', 'curvature.wasm'));

/** Instantiates the module with the few imports a standalone emscripten build may have. */
async function load(path) {
  const mod = new WebAssembly.Module(readFileSync(path));
  const env = { emscripten_notify_memory_growth: () => {} };
  const imports = {};
  for (const imp of WebAssembly.Module.imports(mod)) {
    imports[imp.module] ??= {};
    if (imp.module === 'env' && imp.name in env) imports.env[imp.name] = env[imp.name];
    else imports[imp.module][imp.name] = () => { throw new Error(`unexpected import ${imp.module}.${imp.name} called`); };
  }
  const instance = await WebAssembly.instantiate(mod, imports);
  instance.exports._initialize?.();
  return instance.exports;
}

const w = await load(modulePath);

// Deterministic normal random numbers (xorshift + Box-Muller).
let seed = 0x2545f491;
function uniform() {
  seed ^= seed << 13; seed ^= seed >>> 17; seed ^= seed << 5;
  return ((seed >>> 0) + 0.5) / 4294967296;
}
function normal() {
  return Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

function alloc(dtype, n) {
  const bytes = n * (dtype === 'f32' ? 4 : 8);
  const p = w.cv_malloc(bytes);
  if (p === 0) throw new Error(`cv_malloc(${bytes}) failed`);
  const view = dtype === 'f32' ? new Float32Array(w.memory.buffer, p, n) : new Float64Array(w.memory.buffer, p, n);
  for (let i = 0; i < n; i++) view[i] = normal();
  return p;
}

/** Median seconds per call of gemm(transA, transB, m, n, k). */
function time(dtype, transA, transB, m, n, k) {
  const a = alloc(dtype, m * k), b = alloc(dtype, k * n), c = alloc(dtype, m * n);
  const lda = transA ? m : k, ldb = transB ? k : n, ldc = n;
  const gemm = dtype === 'f32' ? w.cv_gemm_f32 : w.cv_gemm_f64;
  const call = () => gemm(transA, transB, m, n, k, 1, a, lda, b, ldb, 0, c, ldc);
  // Warm-up: at least 5 calls and 100 ms (tier-up to TurboFan happens during these).
  let t0 = performance.now(), calls = 0;
  while (calls < 5 || performance.now() - t0 < 100) { call(); calls++; }
  const per = (performance.now() - t0) / calls;
  const reps = Math.max(1, Math.ceil(30 / per));
  const samples = [];
  for (let s = 0; s < (quick ? 3 : 7); s++) {
    t0 = performance.now();
    for (let r = 0; r < reps; r++) call();
    samples.push((performance.now() - t0) / reps / 1e3);
  }
  w.cv_free(a); w.cv_free(b); w.cv_free(c);
  samples.sort((x, y) => x - y);
  return samples[samples.length >> 1];
}

const rows = [];
function run(label, dtype, transA, transB, m, n, k) {
  if (!(dtype === 'f32' ? w.cv_gemm_f32 : w.cv_gemm_f64)) return; // a partial (tuning) build
  if (only && !only.test(label)) return;
  const t = time(dtype, transA, transB, m, n, k);
  const gflops = (2 * m * n * k) / t / 1e9;
  rows.push({ label, dtype, op: `${transA ? 'T' : 'N'}${transB ? 'T' : 'N'}`, m, n, k, ms: t * 1e3, gflops });
  console.error(`${label.padEnd(34)} ${dtype} ${rows.at(-1).op} ${String(m).padStart(5)}×${String(n).padStart(5)}×${String(k).padStart(5)}  ${(t * 1e3).toFixed(3).padStart(9)} ms  ${gflops.toFixed(1).padStart(6)} GFLOP/s`);
}

for (const dtype of ['f32', 'f64']) {
  for (const n of [64, 128, 256, 512, 1024]) run(`W-GEMM square n=${n}`, dtype, 0, 0, n, n, n);
}
for (const dtype of ['f32', 'f64']) {
  run('MLP fwd L1 X·W1ᵀ', dtype, 0, 1, 1024, 128, 784);
  run('MLP fwd L2 H1·W2ᵀ', dtype, 0, 1, 1024, 128, 128);
  run('MLP fwd L3 H2·W3ᵀ', dtype, 0, 1, 1024, 10, 128);
  run('MLP [1024,128]·[128,10]', dtype, 0, 0, 1024, 10, 128);
  run('MLP bwd dW1 δ1ᵀ·X', dtype, 1, 0, 128, 784, 1024);
  run('MLP bwd dW2 δ2ᵀ·H1', dtype, 1, 0, 128, 128, 1024);
  run('MLP bwd dH1 δ2·W2', dtype, 0, 0, 1024, 128, 128);
  run('MLP bwd dH2 δ3·W3', dtype, 0, 0, 1024, 128, 10);
  run('gemv X·v', dtype, 0, 0, 1024, 1, 784);
  run('gemv Xᵀ·v', dtype, 1, 0, 784, 1, 1024);
}

console.log(`\nwasm GEMM, ${modulePath.split('/').slice(-2).join('/')}, Node ${process.version}, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| shape | dtype | op | m | n | k | ms | GFLOP/s |');
console.log('|---|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.label} | ${r.dtype} | ${r.op} | ${r.m} | ${r.n} | ${r.k} | ${r.ms.toFixed(3)} | ${r.gflops.toFixed(1)} |`);
}
