/**
 * The wasm backend's thread-count setting: how many threads (the calling thread plus worker
 * threads) a large GEMM is split over. Node only; the pool itself is ./thread-pool.ts.
 *
 * - `setWasmThreads(n)` sets it for every wasm backend, now and later; `getWasmThreads()` reads it.
 *   Until it is called, the environment variable CURVATURE_THREADS (a positive integer) decides,
 *   and without that the count is 1: no worker is started unless asked for. (Not min(cores, 2):
 *   `os.availableParallelism()` counts the cores a machine has, not the ones free for this
 *   process, and a library that spawns threads by itself surprises whoever sized the process.)
 * - Results do not depend on the count: the threads compute disjoint bands of C with unchanged
 *   arithmetic per element (wasm/src/gemm_f32.c, gemm_part), so n threads give bit for bit the
 *   result of one.
 * - A GEMM below `minFlops` (2·m·n·k, default WASM_THREAD_MIN_FLOPS) runs on the calling thread
 *   only: waking a worker costs tens of microseconds, which a small product does not repay.
 */
import { BackendUnavailableError, InputError } from '../../errors.js';

/** Upper bound of the thread count (a sanity limit: each worker holds ~2.4 MB of wasm memory). */
export const MAX_WASM_THREADS = 64;

/**
 * Default smallest GEMM (in flops, 2·m·n·k) that is split over threads: 2·128³ ≈ 4.2 MFLOP, about
 * 0.1 ms single-threaded at 40 GFLOP/s (f32) — measured with bench/threads-gemm.ts (wasm/README.md).
 */
export const WASM_THREAD_MIN_FLOPS = 2 * 128 ** 3;

export interface WasmThreadOptions {
  /** Smallest GEMM (2·m·n·k flops) that is split over the threads; default WASM_THREAD_MIN_FLOPS. */
  minFlops?: number;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

let explicit: number | null = null;
let minFlops = WASM_THREAD_MIN_FLOPS;
/** Called with the new count after every setWasmThreads (wasm backends resize or stop their pools). */
const listeners = new Set<(threads: number) => void>();

function checkCount(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new InputError(`${what}: expected an integer thread count from 1 to ${MAX_WASM_THREADS}, got ${typeof n === 'string' ? JSON.stringify(n) : String(n)}`);
  }
  if (n > 1 && !isNode) {
    throw new BackendUnavailableError('wasm', `${n} threads need Node.js worker_threads; this engine runs the wasm kernels on one thread`);
  }
  return n;
}

/**
 * Sets the number of threads the wasm backend splits large GEMMs over (1 = the calling thread
 * only, the default). Takes effect at once for every wasm backend: a larger count starts the
 * workers at the next large GEMM, a smaller one stops the extra workers now and frees their wasm
 * memory. Throws InputError for anything but an integer in [1, MAX_WASM_THREADS] (or a bad
 * minFlops), BackendUnavailableError for n > 1 outside Node.js.
 */
export function setWasmThreads(n: number, options: WasmThreadOptions = {}): void {
  const count = checkCount(n, 'setWasmThreads');
  if (options.minFlops !== undefined) {
    const f = options.minFlops;
    if (typeof f !== 'number' || !(f >= 0) || !Number.isFinite(f)) {
      throw new InputError(`setWasmThreads: minFlops must be a finite number ≥ 0, got ${String(f)}`);
    }
    minFlops = f;
  } else {
    minFlops = WASM_THREAD_MIN_FLOPS;
  }
  explicit = count;
  for (const l of listeners) l(count);
}

/**
 * The thread count in force: the last setWasmThreads(n), else CURVATURE_THREADS, else 1. Throws
 * InputError when CURVATURE_THREADS is set to anything but an integer in [1, MAX_WASM_THREADS].
 */
export function getWasmThreads(): number {
  if (explicit !== null) return explicit;
  const env = isNode ? process.env['CURVATURE_THREADS'] : undefined;
  if (env === undefined || env === '') return 1;
  const n = /^\s*\d+\s*$/.test(env) ? Number(env) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_WASM_THREADS) {
    throw new InputError(`CURVATURE_THREADS: expected an integer thread count from 1 to ${MAX_WASM_THREADS}, got ${JSON.stringify(env)}`);
  }
  return checkCount(n, 'CURVATURE_THREADS');
}

/** The GEMM size (flops) from which the threads are used. */
export function wasmThreadMinFlops(): number {
  return minFlops;
}

/** @internal Registers a wasm backend's reaction to setWasmThreads; returns the unsubscribe. */
export function onWasmThreadsChange(listener: (threads: number) => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
