import type { Backend, DType } from '../backend/types.js';
import { DTypeError, ShapeError } from '../errors.js';
import { contiguousStrides } from '../backend/strides.js';
import type { Tensor } from './tensor.js';

export { contiguousStrides };

export const fmt = (shape: readonly number[]): string => `[${shape.join(', ')}]`;

export function sizeOf(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** NumPy broadcasting of two shapes; ShapeError names both. */
export function broadcastShapes(a: readonly number[], b: readonly number[], op = 'broadcast'): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeError(`${op}: shapes ${fmt(a)} and ${fmt(b)} cannot broadcast (axis ${i}: ${da} vs ${db})`);
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Strides that read a contiguous tensor of `shape` as if broadcast to `outShape` (0 on broadcast axes). */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const own = contiguousStrides(shape);
  const off = outShape.length - shape.length;
  return outShape.map((_, i) => {
    const d = i - off;
    return d < 0 || shape[d] === 1 ? 0 : own[d]!;
  });
}

export function normalizeAxis(axis: number, rank: number, op: string): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    throw new ShapeError(`${op}: axis ${axis} is out of range for a tensor of rank ${rank}`);
  }
  return a;
}

export function sameDType(op: string, ...ts: Tensor[]): DType {
  const d = ts[0]!.dtype;
  for (const t of ts) {
    if (t.dtype !== d) throw new DTypeError(`${op}: operands must share a dtype, got ${ts.map((x) => x.dtype).join(' and ')}`);
  }
  return d;
}

export function requireFloat(op: string, t: Tensor): void {
  if (t.dtype === 'int32') throw new DTypeError(`${op}: expected a float32 or float64 tensor, got int32`);
}

/** The single backend that holds all concrete inputs. */
export function backendOf(op: string, ts: Tensor[]): Backend {
  const b = ts[0]!.backend;
  for (const t of ts) {
    if (t.backend !== b) {
      throw new DTypeError(`${op}: operands live on different backends (${b.name} and ${t.backend.name}); move them with toBackend()`);
    }
  }
  return b;
}
