import * as c from '../src/index.js';
import { measure, reason, relDiff } from './measure.js';
import type { Peer } from './peers/types.js';

/**
 * W-GEMM (../shared/WORKLOADS.md): square C = A·B, n ∈ {64, 128, 256, 512, 1024}, float32 and
 * float64, GFLOP/s = 2n³ / t with t the benchmark.js median. Ours: c.matmul on each backend (the
 * product is left in backend memory, like tf.matMul on the peer: one output allocation per call,
 * no read-back). The js reference backend skips n = 1024 (≈ 0.3-1 s a call at its ≈ 2-8 GFLOP/s:
 * pointlessly slow, and it is the oracle, not a contender).
 */
export interface GemmRow {
  impl: string;
  dtype: 'float32' | 'float64';
  n: number;
  threads: number;
  medianMs: number;
  gflops: number;
  samples: number;
  rme: number;
  /** CPU time / wall time of this process while the row was measured (see measure.ts). */
  cpuShare: number;
}

export const GEMM_SIZES = [64, 128, 256, 512, 1024];
export const JS_MAX_N = 512;

const gflops = (n: number, ms: number): number => (2 * n ** 3) / (ms * 1e6);

function row(impl: string, dtype: GemmRow['dtype'], n: number, threads: number, fn: () => void, maxTime: number): GemmRow {
  const m = measure(fn, maxTime);
  const r = { impl, dtype, n, threads, medianMs: m.medianMs, gflops: gflops(n, m.medianMs), samples: m.samples, rme: m.rme, cpuShare: m.cpuShare };
  console.log(`  [gemm] ${impl} ${dtype} n=${n}${threads > 1 ? ` ${threads} threads` : ''}: ${r.medianMs.toFixed(3)} ms, ${r.gflops.toFixed(1)} GFLOP/s (±${m.rme.toFixed(1)}%, CPU share ${m.cpuShare.toFixed(2)})`);
  return r;
}

function oursCase(n: number, dtype: GemmRow['dtype']): { fn: () => void; dispose: () => void } {
  const a = c.keep(c.randomNormal([n, n], { seed: 1, dtype })), b = c.keep(c.randomNormal([n, n], { seed: 2, dtype }));
  return { fn: () => c.tidy(() => { c.matmul(a, b); }), dispose: () => c.dispose([a, b]) };
}

/**
 * Hook for the wasm thread-count API (branch `threads`): when the library exports a function
 * `setWasmThreads(n)`, the wasm float32 and float64 n = 1024 rows are measured again with 2
 * threads (and the setting restored to 1). Until then `threadsApi()` is null and RESULTS.md says so.
 */
export function threadsApi(): ((n: number) => unknown) | null {
  const f = (c as unknown as Record<string, unknown>)['setWasmThreads'];
  return typeof f === 'function' ? (f as (n: number) => unknown) : null;
}

/**
 * Interleaved by size: for each n, every backend and peer is measured back to back, so that a
 * change in the load from other processes during the run biases the ratios at one n as little as
 * possible.
 */
export function runGemm(backends: readonly string[], peers: readonly Peer[], sizes: readonly number[], maxTime: number): { rows: GemmRow[]; notes: string[] } {
  const rows: GemmRow[] = [], notes: string[] = [];
  for (const n of sizes) {
    for (const dtype of ['float32', 'float64'] as const) {
      for (const b of backends) {
        if (b === 'js' && n > JS_MAX_N) continue;
        c.setBackend(b);
        const k = oursCase(n, dtype);
        try { rows.push(row(b, dtype, n, 1, k.fn, maxTime)); } finally { k.dispose(); }
      }
    }
    for (const p of peers) {
      if (!p.sgemm) continue;
      try {
        const k = p.sgemm(n, sgemmInputs(n));
        try { rows.push(row(p.label, 'float32', n, 1, k.run, maxTime)); } finally { k.dispose(); }
      } catch (err) {
        notes.push(`${p.label} SGEMM n=${n} failed: ${reason(err)}`);
      }
    }
  }
  // --- 2-thread hook (see threadsApi) -----------------------------------------------------------
  const setThreads = threadsApi();
  if (setThreads && backends.includes('wasm')) {
    c.setBackend('wasm');
    const n = Math.max(...sizes);
    for (const dtype of ['float32', 'float64'] as const) {
      const k = oursCase(n, dtype);
      try {
        setThreads(2);
        rows.push(row('wasm', dtype, n, 2, k.fn, maxTime));
      } catch (err) {
        notes.push(`2-thread wasm GEMM failed: ${reason(err)}`);
      } finally {
        setThreads(1);
        k.dispose();
      }
    }
  } else {
    notes.push('2-thread row: not measured — this build exports no setWasmThreads() (the hook in bench/gemm.ts activates when it does).');
  }
  return { rows, notes };
}

/**
 * ‖peer − ours‖ / ‖ours‖ of one float32 n×n product on the same inputs (ours on the active
 * backend), the peer's sanity line in RESULTS.md.
 */
export function gemmSanity(peer: Peer, n: number): number {
  if (!peer.sgemm) return NaN;
  const inputs = sgemmInputs(n);
  const ours = c.tidy(() => c.matmul(c.tensor(inputs.a, [n, n], 'float32'), c.tensor(inputs.b, [n, n], 'float32')).dataSync());
  const k = peer.sgemm(n, inputs);
  try {
    return relDiff(k.result(), ours);
  } finally {
    k.dispose();
  }
}

/** Seeded float32 inputs of the n×n product, shared by ours and the peers. */
export function sgemmInputs(n: number): { a: Float32Array; b: Float32Array } {
  const a = c.tidy(() => Float32Array.from(c.randomNormal([n, n], { seed: 1, dtype: 'float32' }).dataSync()));
  const b = c.tidy(() => Float32Array.from(c.randomNormal([n, n], { seed: 2, dtype: 'float32' }).dataSync()));
  return { a, b };
}
