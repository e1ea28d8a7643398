/**
 * The control block shared by the main thread and the GEMM workers (./thread-pool.ts,
 * ./thread-worker.ts): one 128-byte slot per worker in wasm linear memory (so two workers never
 * share a cache line), read and written through an Int32Array / Float64Array over the shared
 * memory's SharedArrayBuffer. A SharedArrayBuffer is never detached, and an old one keeps mapping
 * the first bytes of a grown memory, so views made before a growth stay valid for the block.
 *
 * Protocol (all flags with Atomics, so the plain argument writes happen before the worker reads
 * them): the main thread writes the arguments, then SEQ += 1 and notifies SEQ; the worker, waiting
 * on SEQ, runs the job, writes STATUS, then DONE = SEQ and notifies DONE. READY is set once by the
 * worker after instantiation: 1, or -1 when it failed (the reason goes over a MessagePort).
 */

/** Int32 words per slot (128 bytes). */
export const SLOT_INTS = 32;
export const SLOT_BYTES = SLOT_INTS * 4;

// Int32 indices within a slot.
export const SEQ = 0;
export const DONE = 1;
export const STATUS = 2;
export const OP = 3;
export const READY = 4;
/**
 * First of the int arguments: GEMM transA, transB, m, n, k, a, lda, b, ldb, c, ldc, part, parts
 * (13); unary op, x, out, n (4: one contiguous chunk).
 */
export const ARGS = 5;
/** Float64 indices within a slot (byte offsets 96 and 104): alpha, beta. */
export const ALPHA = 12;
export const BETA = 13;

// Operations.
export const OP_GEMM_F32 = 0;
export const OP_GEMM_F64 = 1;
export const OP_EXIT = 2;
export const OP_UNARY_F32 = 3;
export const OP_UNARY_F64 = 4;

/** What a worker receives as workerData. */
export interface WorkerSetup {
  /** The compiled kernels (WebAssembly.Module) and their shared memory (WebAssembly.Memory). */
  module: unknown;
  memory: unknown;
  /** Byte address of this worker's slot. */
  slot: number;
  /** Top (highest address, 16-aligned) of this worker's C stack in linear memory. */
  stackTop: number;
  /** Byte address of this worker's GEMM packing buffers (cv_gemm_scratch_bytes_* bytes). */
  scratch: number;
  /** Where the worker reports a failure's message (a MessagePort). */
  port: unknown;
}
