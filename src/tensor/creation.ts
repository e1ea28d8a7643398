import { getBackend } from '../backend/registry.js';
import type { DType, TypedArray } from '../backend/types.js';
import { InputError, ShapeError } from '../errors.js';
import { empty, Tensor } from './tensor.js';
import { fmt, sizeOf } from './util.js';
import { kernels } from './kernels.js';

export type TensorData = TypedArray | ArrayLike<number> | number | NestedArray;
interface NestedArray extends Array<number | NestedArray> {}

function flatten(data: NestedArray | number, out: number[], shape: number[], depth: number): void {
  if (typeof data === 'number') {
    out.push(data);
    return;
  }
  if (shape.length === depth) shape.push(data.length);
  else if (shape[depth] !== data.length) throw new ShapeError(`tensor: ragged nested array at depth ${depth}`);
  for (const d of data) flatten(d, out, shape, depth + 1);
}

function inferDType(data: TensorData): DType {
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  return 'float32';
}

/**
 * Makes a concrete tensor from values. `shape` defaults to the data's own (nested arrays) or
 * [n]; `dtype` defaults to the typed array's, else float32 (the fast default).
 */
export function tensor(data: TensorData, shape?: readonly number[], dtype?: DType): Tensor {
  const dt = dtype ?? inferDType(data);
  let flat: ArrayLike<number>;
  let inferred: number[];
  if (typeof data === 'number') {
    flat = [data];
    inferred = [];
  } else if (Array.isArray(data)) {
    const values: number[] = [];
    inferred = [];
    flatten(data as NestedArray, values, inferred, 0);
    flat = values;
  } else {
    flat = data as ArrayLike<number>;
    inferred = [flat.length];
  }
  const sh = shape ? [...shape] : inferred;
  for (const d of sh) {
    if (!Number.isInteger(d) || d < 0) throw new ShapeError(`tensor: shape ${fmt(sh)} must hold non-negative integers`);
  }
  if (sizeOf(sh) !== flat.length) {
    throw new ShapeError(`tensor: shape ${fmt(sh)} needs ${sizeOf(sh)} values, got ${flat.length}`);
  }
  if (dt !== 'float32' && dt !== 'float64' && dt !== 'int32') {
    throw new InputError(`tensor: dtype must be float32, float64 or int32, got ${String(dt)}`);
  }
  const t = empty(sh, dt);
  t.backend.write(t.buffer, flat);
  return t;
}

export function scalar(value: number, dtype: DType = 'float32'): Tensor {
  return tensor([value], [], dtype);
}

export function full(shape: readonly number[], value: number, dtype: DType = 'float32', backend = getBackend()): Tensor {
  const t = empty(shape, dtype, backend);
  kernels(backend).fill(t.buffer, value);
  return t;
}

export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return full(shape, 0, dtype);
}

export function ones(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return full(shape, 1, dtype);
}

/** Concrete zeros with the shape, dtype and backend of `t` (which may be a tracer). */
export function zerosLike(t: Tensor): Tensor {
  return full(t.shape, 0, t.dtype, t.backend);
}

export function onesLike(t: Tensor): Tensor {
  return full(t.shape, 1, t.dtype, t.backend);
}

export function eye(n: number, dtype: DType = 'float32'): Tensor {
  const d = new Float64Array(n * n);
  for (let i = 0; i < n; i++) d[i * n + i] = 1;
  return tensor(d, [n, n], dtype);
}

export function arange(n: number, dtype: DType = 'float32'): Tensor {
  return tensor(Float64Array.from({ length: n }, (_, i) => i), [n], dtype);
}
