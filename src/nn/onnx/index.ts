import { readOnnx, readOnnxFile } from '../../io/onnx/index.js';
import { importOnnx, type ImportedModel } from './import.js';

export { importOnnx, type ImportedModel } from './import.js';
export { OP_RULES as ONNX_OPERATORS } from './ops.js';

/** An ONNX file (as written by torch.onnx.export) as a GraphModel with its weights. */
export function loadOnnx(pathOrBytes: string | Uint8Array, source?: string): ImportedModel {
  if (typeof pathOrBytes === 'string') return importOnnx(readOnnxFile(pathOrBytes), source ?? pathOrBytes);
  return importOnnx(readOnnx(pathOrBytes, source ?? 'ONNX model'), source ?? 'ONNX model');
}
