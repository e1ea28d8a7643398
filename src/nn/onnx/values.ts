import { InputError, ShapeError } from '../../errors.js';
import type { OnnxTensor } from '../../io/onnx/types.js';

/**
 * What an ONNX value name stands for while importing: a value computed from the model input
 * ("runtime": the graph node that produces it and its per-example shape), or a constant known at
 * import time (initializers, Constant nodes and the shape arithmetic torch.onnx.export emits around
 * Reshape). In constants, NaN marks the batch size, unknown until run time.
 */
export type Value =
  | { readonly kind: 'runtime'; readonly node: string; readonly shape: readonly number[]; readonly pads?: readonly number[] }
  | { readonly kind: 'const'; readonly dims: readonly number[]; readonly data: Float64Array; readonly name: string }
  /**
   * A step of the LayerNorm torch.onnx.export writes out below opset 17 (ReduceMean → Sub → Pow →
   * ReduceMean → Add ε → Sqrt → Div): which step, of which input, over how many trailing axes.
   */
  | { readonly kind: 'layernorm-step'; readonly step: 'mean' | 'centred' | 'squares' | 'variance' | 'variance+eps' | 'std' | 'normalised' | 'scaled';
      readonly x: string; readonly source: Extract<Value, { kind: 'runtime' }>; readonly axes: number; readonly eps?: number; readonly gamma?: { readonly data: Float64Array; readonly from: string } };

/** An ONNX tensor as a float64 constant. */
export function constOf(t: OnnxTensor): Value {
  const size = t.dims.reduce((a, b) => a * b, 1);
  if (t.data.length !== size) throw new ShapeError(`initializer '${t.name}': ${t.data.length} values for dims [${t.dims.join(', ')}]`);
  return { kind: 'const', dims: [...t.dims], data: Float64Array.from(t.data as ArrayLike<number>), name: t.name };
}

export const constant = (dims: readonly number[], data: ArrayLike<number>, name = ''): Value => ({ kind: 'const', dims: [...dims], data: Float64Array.from(data), name });

/** A constant as a list of whole numbers (axes, shapes, indices). */
export function intsOf(v: Value, what: string): number[] {
  if (v.kind !== 'const') throw new InputError(`${what} must be a constant known at import time`);
  return [...v.data].map((x) => (Number.isNaN(x) ? x : Math.trunc(x)));
}

/** Row-major transpose of a [r, c] constant. */
export function transpose2d(data: Float64Array, r: number, c: number): Float64Array {
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = data[i * c + j]!;
  return out;
}

/**
 * A float32 number as the shortest decimal that rounds to it (1e-5 for the float32 nearest 1e-5):
 * ONNX stores ε and other settings as float32, and the model was written with the decimal.
 */
export function decimalOfFloat32(x: number): number {
  const f = Math.fround(x);
  for (let p = 1; p <= 9; p++) {
    const d = Number(x.toPrecision(p));
    if (Math.fround(d) === f) return d;
  }
  return x;
}
