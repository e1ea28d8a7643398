/**
 * A pool of worker threads running GEMM bands (and chunks of transcendental elementwise maps) on
 * the wasm backend's shared memory (Node only).
 *
 * Design (one job at a time, synchronous like every Backend kernel):
 * - the main thread allocates everything with cv_malloc — a control slot per worker
 *   (./thread-control.ts), a 64 KiB C stack and GEMM packing buffers per worker — and starts the
 *   workers (./thread-worker.ts) with the compiled module and the shared memory; each is unref()'d,
 *   so an idle pool never keeps the process alive (Node stops the workers at exit);
 * - `gemm` cuts C into parts = workers + 1 bands (cv_gemm_part_*: whole register tiles, columns or
 *   rows), posts bands 1.. to the workers, computes band 0 itself with the static buffers, then
 *   waits (Atomics.wait, allowed on Node's main thread) for the workers' DONE flags. The bands are
 *   disjoint and each element's arithmetic is that of the one-thread kernel, so the result is bit
 *   for bit the single-threaded one;
 * - `close` tells the workers to exit, waits for them to acknowledge, and frees their memory, so
 *   the wasm heap returns exactly to what it was before the pool started.
 * Memory growth while the pool is idle is harmless: the kernels see the grown memory directly and
 * the control views stay valid (a SharedArrayBuffer is never detached).
 */
import { BackendUnavailableError, CurvatureError } from '../../errors.js';
import type { WasmKernels } from './loader.js';
import {
  ALPHA, ARGS, BETA, DONE, OP, OP_EXIT, OP_GEMM_F32, OP_GEMM_F64, OP_UNARY_F32, OP_UNARY_F64, READY, SEQ,
  SLOT_BYTES, SLOT_INTS, STATUS, type WorkerSetup,
} from './thread-control.js';

const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
const wt = isNode ? await import('node:worker_threads') : null;

/** Bytes of C stack per worker (the GEMM kernels use a few hundred). */
const STACK_BYTES = 64 * 1024;
/**
 * How long the constructor waits for the workers to instantiate the module (usually tens of
 * milliseconds). A pool not ready by then is used from the first GEMM that finds it ready.
 */
const START_WAIT_MS = 5_000;
/** How long a worker may take to acknowledge an exit before it is terminated instead. */
const EXIT_TIMEOUT_MS = 5_000;

interface WorkerHandle {
  worker: import('node:worker_threads').Worker;
  port: import('node:worker_threads').MessagePort;
  i32: Int32Array;
  f64: Float64Array;
  /** cv_malloc blocks owned by this worker: stack and scratch. */
  blocks: number[];
}

/** Worker options: no inherited execArgv (flags such as --input-type are refused in workers). */
const WORKER_EXEC_ARGV: string[] = [];

/** Whether `kernels` can run a pool: Node, a shared memory, and the threading exports. */
export function threadsSupported(kernels: WasmKernels): boolean {
  const x = kernels.exports;
  return wt !== null && kernels.shared && kernels.module !== null && typeof x.cv_gemm_part_f32 === 'function'
    && typeof x.cv_gemm_part_f64 === 'function' && typeof x.cv_gemm_scratch_bytes_f32 === 'function'
    && typeof x.cv_gemm_scratch_bytes_f64 === 'function' && typeof x.stackRestore === 'function';
}

export class ThreadPool {
  private readonly workers: WorkerHandle[] = [];
  private readonly control: number;
  private closed = false;
  private allReady = false;
  /** Why a worker failed (its 'error' event, or its own report), once one has. */
  private failure: string | null = null;

  /**
   * Starts `threads − 1` workers (the calling thread is the other one) and waits up to
   * START_WAIT_MS for them to instantiate the module. Throws BackendUnavailableError when a worker
   * cannot be created or reports a failure (after freeing what was allocated).
   */
  constructor(private readonly kernels: WasmKernels, readonly threads: number) {
    if (!threadsSupported(kernels) || !wt) {
      throw new BackendUnavailableError('wasm', `${kernels.source} cannot run threads (needs Node.js worker_threads and the shared-memory build wasm/curvature-mt.wasm)`);
    }
    const x = kernels.exports;
    const n = threads - 1;
    this.control = this.malloc(Math.max(1, n) * SLOT_BYTES);
    new Uint8Array(x.memory.buffer, this.control, Math.max(1, n) * SLOT_BYTES).fill(0);
    const scratchBytes = Math.max(x.cv_gemm_scratch_bytes_f32!() >>> 0, x.cv_gemm_scratch_bytes_f64!() >>> 0);
    const workerUrl = new URL('./thread-worker.js', import.meta.url);
    try {
      for (let w = 0; w < n; w++) {
        const stack = this.malloc(STACK_BYTES);
        const blocks = [stack];
        const handleBlocks = (): void => { for (const b of blocks) x.cv_free(b); };
        let scratch: number;
        try {
          scratch = this.malloc(scratchBytes);
        } catch (err) {
          handleBlocks();
          throw err;
        }
        blocks.push(scratch);
        const slot = this.control + w * SLOT_BYTES;
        const { port1, port2 } = new wt.MessageChannel();
        const setup: WorkerSetup = {
          module: kernels.module, memory: x.memory, slot, stackTop: (stack + STACK_BYTES) & ~15, scratch, port: port2,
        };
        let worker: import('node:worker_threads').Worker;
        try {
          worker = new wt.Worker(workerUrl, { workerData: setup, transferList: [port2], execArgv: WORKER_EXEC_ARGV });
        } catch (err) {
          handleBlocks();
          port1.close();
          throw new BackendUnavailableError('wasm', `cannot start a GEMM worker thread: ${(err as Error)?.message ?? String(err)}`);
        }
        // Delivered only when the main thread's event loop runs; an unhandled one would crash it.
        worker.on('error', (err) => { this.failure ??= `worker ${w + 1}: ${err?.message ?? String(err)}`; });
        worker.unref();
        port1.unref();
        const buf = x.memory.buffer;
        this.workers.push({
          worker, port: port1, blocks,
          i32: new Int32Array(buf, slot, SLOT_INTS), f64: new Float64Array(buf, slot, SLOT_INTS / 2),
        });
      }
      const deadline = Date.now() + START_WAIT_MS;
      for (const h of this.workers) {
        while (Atomics.load(h.i32, READY) === 0 && Date.now() < deadline) Atomics.wait(h.i32, READY, 0, 20);
      }
      if (!this.ready()) {
        const failure = this.failed();
        if (failure) throw new BackendUnavailableError('wasm', `a GEMM worker thread failed: ${failure}`);
      }
    } catch (err) {
      this.close();
      throw err;
    }
  }

  /** Whether every worker has instantiated the module and waits for jobs (checked without blocking). */
  ready(): boolean {
    if (this.allReady) return true;
    if (this.closed || this.failure) return false;
    this.allReady = this.workers.every((h) => Atomics.load(h.i32, READY) === 1);
    return this.allReady;
  }

  /** Why a worker failed to start, or null (none has, so far). */
  failed(): string | null {
    if (this.failure) return this.failure;
    for (const [w, h] of this.workers.entries()) {
      if (Atomics.load(h.i32, READY) === -1) this.failure = `worker ${w + 1}: ${this.message(h) ?? 'no reason given'}`;
    }
    return this.failure;
  }

  /**
   * C = alpha·op(A)·op(B) + beta·C over all threads (only once ready()) (arguments as cv_gemm_*: byte addresses,
   * checked by the caller). Throws CurvatureError if a worker reports a failure.
   */
  gemm(dtype: 'float32' | 'float64', transA: number, transB: number, m: number, n: number, k: number, alpha: number,
    a: number, lda: number, b: number, ldb: number, beta: number, c: number, ldc: number): void {
    const parts = this.workers.length + 1;
    const x = this.kernels.exports;
    const fn = dtype === 'float32' ? x.cv_gemm_part_f32! : x.cv_gemm_part_f64!;
    this.run('GEMM', dtype === 'float32' ? OP_GEMM_F32 : OP_GEMM_F64, (w, i32, f64) => {
      i32.set([transA, transB, m, n, k, a, lda, b, ldb, c, ldc, w + 1, parts], ARGS);
      f64[ALPHA] = alpha;
      f64[BETA] = beta;
      return true;
    }, () => fn(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc, 0, parts, 0));
  }

  /**
   * out[i] = op(x[i]) for i < n (cv_unary_*; byte addresses, checked by the caller), in
   * contiguous chunks of a multiple of 4 elements, one per thread. The kernels compute each element
   * independently of its position (wasm/src/unary.c), so the result is the one-thread result.
   */
  unary(dtype: 'float32' | 'float64', op: number, xp: number, outp: number, n: number): void {
    const item = dtype === 'float32' ? 4 : 8;
    const chunk = Math.ceil(n / (this.workers.length + 1) / 4) * 4;
    const x = this.kernels.exports;
    const fn = dtype === 'float32' ? x.cv_unary_f32 : x.cv_unary_f64;
    this.run('elementwise map', dtype === 'float32' ? OP_UNARY_F32 : OP_UNARY_F64, (w, i32) => {
      const lo = (w + 1) * chunk, len = Math.min(n, lo + chunk) - lo;
      if (len <= 0) return false;
      i32.set([op, xp + lo * item, outp + lo * item, len], ARGS);
      return true;
    }, () => fn(op, xp, outp, Math.min(n, chunk)));
  }

  /**
   * Posts job `op` to every worker for which `fill` (writing the worker's arguments) returns true,
   * runs `mine` on this thread, then waits for every posted worker before returning or throwing
   * (their parts write into the output). Throws CurvatureError if a worker reports a failure.
   */
  private run(what: string, op: number, fill: (w: number, i32: Int32Array, f64: Float64Array) => boolean,
    mine: () => void): void {
    if (this.closed) throw new CurvatureError('wasm thread pool: used after close()');
    const seqs: (number | null)[] = [];
    for (const [w, h] of this.workers.entries()) {
      const { i32, f64 } = h;
      if (!fill(w, i32, f64)) {
        seqs.push(null);
        continue;
      }
      i32[OP] = op;
      seqs.push(Atomics.add(i32, SEQ, 1) + 1);
      Atomics.notify(i32, SEQ);
    }
    let own: unknown = null;
    try {
      mine();
    } catch (err) {
      own = err;
    }
    const failures: string[] = [];
    for (const [w, h] of this.workers.entries()) {
      const seq = seqs[w];
      if (seq === null || seq === undefined) continue;
      for (let done = Atomics.load(h.i32, DONE); done !== seq; done = Atomics.load(h.i32, DONE)) {
        Atomics.wait(h.i32, DONE, done);
      }
      if (Atomics.load(h.i32, STATUS) !== 0) failures.push(`worker ${w + 1}: ${this.message(h) ?? 'no reason given'}`);
    }
    if (own !== null) throw own;
    if (failures.length) throw new CurvatureError(`wasm thread pool: the ${what} failed on ${failures.join('; ')}`);
  }

  /**
   * Stops the workers and frees their stacks, packing buffers and the control block. Idempotent.
   * A worker that does not acknowledge within EXIT_TIMEOUT_MS is terminated and its memory is
   * left allocated (it might still be running a kernel on it).
   */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const x = this.kernels.exports;
    let allStopped = true;
    for (const h of this.workers) {
      h.i32[OP] = OP_EXIT;
      const seq = Atomics.add(h.i32, SEQ, 1) + 1;
      Atomics.notify(h.i32, SEQ);
      const ready = Atomics.load(h.i32, READY);
      const deadline = Date.now() + EXIT_TIMEOUT_MS;
      // A worker that never became ready (or failed to) does not run its loop: nothing to wait for.
      let stopped = ready !== 1;
      while (!stopped && Date.now() < deadline) {
        const done = Atomics.load(h.i32, DONE);
        if (done === seq) stopped = true;
        else Atomics.wait(h.i32, DONE, done, 50);
      }
      if (ready === 0) stopped = false; // still starting: it may yet touch its stack
      h.port.close();
      if (stopped && ready !== 0) {
        for (const b of h.blocks) x.cv_free(b);
      } else {
        allStopped = false;
        void h.worker.terminate();
      }
    }
    this.workers.length = 0;
    if (allStopped) x.cv_free(this.control);
  }

  private malloc(bytes: number): number {
    const p = this.kernels.exports.cv_malloc(bytes) >>> 0;
    if (p === 0) throw new CurvatureError(`wasm thread pool: out of wasm memory allocating ${bytes} bytes`);
    return p;
  }

  private message(h: WorkerHandle): string | null {
    const m = wt?.receiveMessageOnPort(h.port);
    return m ? String(m.message) : null;
  }
}
