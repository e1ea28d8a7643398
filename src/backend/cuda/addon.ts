import type { TypedArray } from '../types.js';

/** The ABI number the loader accepts from the addon's info() (native/cuda/addon.cc's kAbi). */
export const CUDA_ABI = 3;

/** dtype codes of the addon (native/cuda/common.h DType). */
export const DTYPE_CODES = { float32: 0, float64: 1, int32: 2 } as const;

/** What init() answers: whether the device can run, and why not. */
export interface CudaInit {
  ok: boolean;
  reason: string;
}

/** What info() reports about the device and the build. */
export interface CudaInfo {
  abi: number;
  device: string;
  computeCapability: string;
  multiprocessors: number;
  totalMemory: number;
  driverVersion: number;
  runtimeVersion: number;
  /** The first sticky CUDA error ('' while healthy): after one, every call fails. */
  broken: string;
}

/** The caching allocator's counters (bytes, and counts). */
export interface CudaMemoryStats {
  inUse: number;
  cached: number;
  peak: number;
  deviceAllocs: number;
  cacheHits: number;
  liveBuffers: number;
}

/**
 * The functions of native/cuda/addon.cc. Buffers are integer handles of device memory; `dims` is a
 * Float64Array [rank, shape…, strides of each strided operand…] like the CPU addon's. Every
 * function throws an Error with a `code` (CUDA_ARG, CUDA_INPUT, CUDA_OOM, CUDA_LAUNCH,
 * CUDA_BROKEN) that ./errors.ts maps to typed errors. Work is queued on one stream; only read,
 * synchronize and the index-checking kernels wait for it.
 */
export interface CudaAddon {
  init(): CudaInit;
  info(): CudaInfo;
  memoryStats(): CudaMemoryStats;
  emptyCache(): void;
  synchronize(): void;
  alloc(dtype: number, size: number): number;
  free(handle: number): void;
  write(handle: number, data: TypedArray, offset: number): void;
  read(handle: number, out: TypedArray): void;
  readAsync(handle: number, n: number): Promise<TypedArray>;
  fill(handle: number, value: number): void;
  cast(src: number, dst: number, n: number): void;
  unary(op: number, x: number, out: number, n: number): void;
  binary(op: number, dims: Float64Array, a: number, b: number, out: number): void;
  where(dims: Float64Array, c: number, a: number, b: number, out: number): void;
  copy(dims: Float64Array, src: number, srcOff: number, dst: number, dstOff: number): void;
  reduce(op: number, x: number, outer: number, r: number, inner: number, out: number): void;
  /** flags: bit 0 transA, bit 1 transB. */
  gemmStridedBatched(flags: number, m: number, n: number, k: number, alpha: number,
    a: number, aOff: number, lda: number, strideA: number, b: number, bOff: number, ldb: number, strideB: number,
    beta: number, c: number, cOff: number, ldc: number, strideC: number, batch: number): void;
  gather(src: number, idx: number, nIdx: number, rowSize: number, out: number): void;
  scatterAdd(src: number, idx: number, nIdx: number, rowSize: number, out: number): void;
  softmax(x: number, rows: number, cols: number, out: number, log: boolean): void;
  crossEntropy(z: number, labels: number, rows: number, cols: number, out: number): void;
  tanhGrad(y: number, g: number, out: number, n: number): void;
  potrf(n: number, a: number, aOff: number, lda: number): { ok: true } | { ok: false; pivot: number; value: number };
  trsm(upper: boolean, trans: boolean, unitDiag: boolean, m: number, n: number, alpha: number,
    a: number, aOff: number, lda: number, b: number, bOff: number, ldb: number): void;
  syev(n: number, a: number, aOff: number, lda: number, w: number, wOff: number, computeVectors: boolean): void;
}

/** The function names the loader requires (a binary without one of them is refused). */
export const CUDA_FUNCTIONS: readonly (keyof CudaAddon)[] = [
  'init', 'info', 'memoryStats', 'emptyCache', 'synchronize', 'alloc', 'free', 'write', 'read', 'readAsync',
  'fill', 'cast', 'unary', 'binary', 'where', 'copy', 'reduce', 'gemmStridedBatched', 'gather', 'scatterAdd',
  'softmax', 'crossEntropy', 'tanhGrad', 'potrf', 'trsm', 'syev',
];
