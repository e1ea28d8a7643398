/** curvature — second-order quantities of ML models. Public API. */
export * from './errors.js';
export type { Backend, DType, FloatDType } from './backend/types.js';
export { setBackend, getBackend, listBackends, registerBackend } from './backend/registry.js';
export {
  loadWasmFromUrl, wasmSimdSupported, wasmRelaxedSimdSupported, wasmVariant, defaultWasmFile, WasmBackend, type WasmVariant,
} from './backend/wasm/index.js';
export { setWasmThreads, getWasmThreads, MAX_WASM_THREADS, WASM_THREAD_MIN_FLOPS, type WasmThreadOptions } from './backend/wasm/threads.js';
export {
  setNativeThreads, getNativeThreads, MAX_NATIVE_THREADS, NATIVE_THREAD_MIN_FLOPS, type NativeThreadOptions,
} from './backend/native/threads.js';
export * from './tensor/index.js';
export * from './autodiff/index.js';
export * from './nn/index.js';
export * from './linalg/index.js';
export * from './operators/index.js';
export * from './solvers/index.js';
export * from './influence/index.js';
export * from './estimators/index.js';
export { lanczos, arnoldi, type LanczosOptions, type LanczosResult, type LanczosWhich } from './linalg/lanczos.js';

// File formats and bundled datasets (also `curvature/io`, which holds these plus the low-level
// RawArray helpers and loads nothing but Node built-ins). NpyWriter comes through influence/.
export {
  readNpy, writeNpy, readNpyHeader, readNpyRows, encodeNpy, decodeNpy, parseNpyHeader, type NpyHeader,
  readSafetensors, writeSafetensors, encodeSafetensors, type SafetensorsFile, type PyValue,
  readIdx, writeIdx, encodeIdx, decodeIdx,
  readCsv, parseCsv, readCsvMatrix, csvToMatrix, type CsvOptions, type CsvTable, type MatrixOptions,
  loadBreastCancer, loadFashionMnist, bundledDataPath, BREAST_CANCER_FEATURES, FASHION_MNIST_CLASSES,
  DEBIAN_FASHION_MNIST_DIR, type BreastCancer, type FashionMnist, type FashionMnistOptions,
  writeFileAtomic, removeStalePartials, removeTrackedTemps,
  rawArray, type RawArray, type RawArrayOf, type RawData, type RawDType, type ByteSource,
} from './io/index.js';
