/**
 * File formats and bundled datasets: safetensors, npy, IDX (MNIST), CSV, and the Breast Cancer
 * Wisconsin and Fashion-MNIST loaders. Everything returns plain `RawArray`s (typed array + shape +
 * dtype) so this module depends on nothing but Node built-ins.
 */
export * from './array.js';
export type { ByteSource } from './source.js';
export * from './safetensors.js';
export * from './npy.js';
export * from './idx.js';
export * from './csv.js';
export * from './datasets.js';
export { NpyWriter, type NpyWriterOptions, type NpyWriterDType } from './npy-writer.js';
export { writeFileAtomic, removeStalePartials, removeTrackedTemps } from './temp-files.js';
export * from './onnx/index.js';
