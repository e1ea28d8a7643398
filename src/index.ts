/** curvature — second-order quantities of ML models. Public API. */
export * from './errors.js';
export type { Backend, DType, FloatDType } from './backend/types.js';
export { setBackend, getBackend, listBackends, registerBackend } from './backend/registry.js';
export { loadWasmFromUrl, wasmSimdSupported, WasmBackend } from './backend/wasm/index.js';
export { setWasmThreads, getWasmThreads, MAX_WASM_THREADS, WASM_THREAD_MIN_FLOPS, type WasmThreadOptions } from './backend/wasm/threads.js';
export * from './tensor/index.js';
export * from './autodiff/index.js';
export * from './nn/index.js';
export * from './linalg/index.js';
export * from './operators/index.js';
export * from './solvers/index.js';
export * from './influence/index.js';
export * from './estimators/index.js';
export { lanczos, arnoldi, type LanczosOptions, type LanczosResult, type LanczosWhich } from './linalg/lanczos.js';
