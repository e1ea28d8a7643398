/**
 * The native backend's thread-count setting: how many threads (the calling thread plus the addon's
 * worker threads, native/src/pool.cc) large GEMMs and the eigensolver are split over.
 *
 * - `setNativeThreads(n)` sets it for the process (the addon's pool is one per process), now and for
 *   backends created later; `getNativeThreads()` reads it. Until it is called, the environment
 *   variable CURVATURE_NATIVE_THREADS, else CURVATURE_THREADS (the wasm backend's, see
 *   ../wasm/threads.ts), decides, and without either the count is the number of physical cores this
 *   process may run on (unlike wasm, whose workers cost memory and start-up time: the addon's
 *   threads are cheap, sleep when idle, and never keep the process alive).
 * - Results do not depend on the count: GEMM threads compute disjoint bands of whole micro-tiles
 *   of C with unchanged arithmetic per element, the eigensolver splits rows that are independent,
 *   so n threads give bit for bit the result of one.
 * - A GEMM below `minFlops` (2·m·n·k, default NATIVE_THREAD_MIN_FLOPS) runs on the calling thread.
 */
import { InputError } from '../../errors.js';

/** Upper bound of the thread count (native/src/pool.h kMaxThreads). */
export const MAX_NATIVE_THREADS = 64;

/** Default smallest GEMM (2·m·n·k flops) split over threads: 2·192³ ≈ 14 MFLOP, ≈ 0.1 ms at 117 GFLOP/s. */
export const NATIVE_THREAD_MIN_FLOPS = 2 * 192 ** 3;

export interface NativeThreadOptions {
  /** Smallest GEMM (2·m·n·k flops) that is split over the threads; default NATIVE_THREAD_MIN_FLOPS. */
  minFlops?: number;
}

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';

let explicit: number | null = null;
let minFlops = NATIVE_THREAD_MIN_FLOPS;
/** Applies a count (0 = the addon's default) to each loaded addon (keyed by its exports); returns the count in force. */
const appliers = new Map<object, (threads: number, minFlops: number) => number>();
let lastInForce: number | null = null;

function checkCount(n: unknown, what: string): number {
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > MAX_NATIVE_THREADS) {
    throw new InputError(`${what}: expected an integer thread count from 1 to ${MAX_NATIVE_THREADS}, got ${typeof n === 'string' ? JSON.stringify(n) : String(n)}`);
  }
  return n;
}

/** The count asked for (setNativeThreads, else the environment), or 0 for the default (physical cores). */
export function requestedNativeThreads(): number {
  if (explicit !== null) return explicit;
  for (const name of ['CURVATURE_NATIVE_THREADS', 'CURVATURE_THREADS']) {
    const env = isNode ? process.env[name] : undefined;
    if (env === undefined || env === '') continue;
    const n = /^\s*\d+\s*$/.test(env) ? Number(env) : NaN;
    if (!Number.isInteger(n) || n < 1 || n > MAX_NATIVE_THREADS) {
      throw new InputError(`${name}: expected an integer thread count from 1 to ${MAX_NATIVE_THREADS}, got ${JSON.stringify(env)}`);
    }
    return n;
  }
  return 0;
}

/**
 * Sets the number of threads of the native backend (1 = the calling thread only). Takes effect at
 * once; workers start at the next large kernel and surplus ones sleep. Throws InputError for
 * anything but an integer in [1, MAX_NATIVE_THREADS] (or a bad minFlops).
 */
export function setNativeThreads(n: number, options: NativeThreadOptions = {}): void {
  const count = checkCount(n, 'setNativeThreads');
  if (options.minFlops !== undefined) {
    const f = options.minFlops;
    if (typeof f !== 'number' || !(f >= 0) || !Number.isFinite(f)) {
      throw new InputError(`setNativeThreads: minFlops must be a finite number ≥ 0, got ${String(f)}`);
    }
    minFlops = f;
  } else {
    minFlops = NATIVE_THREAD_MIN_FLOPS;
  }
  explicit = count;
  for (const apply of appliers.values()) lastInForce = apply(count, minFlops);
}

/**
 * The thread count in force: the last setNativeThreads(n), else CURVATURE_NATIVE_THREADS, else
 * CURVATURE_THREADS, else the physical cores the addon counted (null before any native backend has
 * loaded and with nothing set). Throws InputError when the variable in force is not an integer in
 * [1, MAX_NATIVE_THREADS] (the backend then runs with the default count).
 */
export function getNativeThreads(): number | null {
  const r = requestedNativeThreads();
  return r > 0 ? r : lastInForce;
}

/** The GEMM size (flops) from which the threads are used. */
export function nativeThreadMinFlops(): number {
  return minFlops;
}

/**
 * @internal A native backend's addon (`key`: its exports, shared by every backend on the same
 * binary) joins the setting: applied now and at every setNativeThreads.
 */
export function attachNativeThreads(key: object, apply: (threads: number, minFlops: number) => number): void {
  appliers.set(key, apply);
  let n = 0;
  try {
    n = requestedNativeThreads();
  } catch {
    // A malformed environment variable: the backend still loads with the default count;
    // getNativeThreads() reports the error.
  }
  lastInForce = apply(n, minFlops);
}
