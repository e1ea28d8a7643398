import type { BackendBuffer, DType, TypedArray } from '../types.js';

/** A reference-backend buffer: a plain typed array, which the JS garbage collector owns. */
export interface JsBuffer extends BackendBuffer {
  readonly data: TypedArray;
}

export function allocTyped(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(size);
    case 'float64': return new Float64Array(size);
    case 'int32': return new Int32Array(size);
  }
}

/** The typed array behind a buffer handle; every handle a JS-backend kernel sees was made by it. */
export function arr(buf: BackendBuffer): TypedArray {
  return (buf as JsBuffer).data;
}
