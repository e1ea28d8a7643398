/**
 * The raw array type shared by every file reader and writer in `src/io`.
 *
 * A `RawArray` is a flat, C-ordered (row-major) typed array plus a shape and a dtype tag. It is
 * deliberately dumb: no strides, no views, no broadcasting. Readers always return freshly
 * allocated, properly aligned typed arrays that own their memory (never views into a file
 * buffer), so callers may mutate them freely.
 *
 * Byte-level helpers here convert between typed arrays and little- or big-endian byte streams
 * (safetensors and npy are little-endian, IDX is big-endian) independently of the host's byte
 * order.
 */
import { InputError } from '../errors.js';

/** Element types the readers produce. Other on-disk types are either widened or rejected. */
export type RawDType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8';

/** The typed array backing each dtype. */
export interface RawDataByDType {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
}

export type RawData = RawDataByDType[RawDType];

/** A dense, C-ordered array: `data.length === product(shape)`. A scalar has `shape: []`. */
export interface RawArray {
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;
  shape: number[];
  dtype: RawDType;
}

/** A RawArray whose dtype (and so typed array class) is known statically. */
export interface RawArrayOf<D extends RawDType> extends RawArray {
  data: RawDataByDType[D];
  dtype: D;
}

export const RAW_DTYPES: readonly RawDType[] = ['float32', 'float64', 'int32', 'int64', 'uint8'];

const ITEM_SIZE: Record<RawDType, number> = { float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1 };

/** Bytes per element. */
export function itemSize(dtype: RawDType): number {
  return ITEM_SIZE[dtype];
}

/** True when `value` names one of the supported dtypes. */
export function isRawDType(value: unknown): value is RawDType {
  return typeof value === 'string' && (RAW_DTYPES as readonly string[]).includes(value);
}

/** Number of elements of a shape (1 for a scalar). Throws InputError on a non-integer or negative dim. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw new InputError(`expected a shape of non-negative integers, got [${shape.join(', ')}]`);
    }
    n *= d;
  }
  if (!Number.isSafeInteger(n)) throw new InputError(`shape [${shape.join(', ')}] has too many elements`);
  return n;
}

/** Allocate a zero-filled typed array of the given dtype. */
export function allocData<D extends RawDType>(dtype: D, length: number): RawDataByDType[D] {
  switch (dtype) {
    case 'float32': return new Float32Array(length) as RawDataByDType[D];
    case 'float64': return new Float64Array(length) as RawDataByDType[D];
    case 'int32': return new Int32Array(length) as RawDataByDType[D];
    case 'int64': return new BigInt64Array(length) as RawDataByDType[D];
    case 'uint8': return new Uint8Array(length) as RawDataByDType[D];
    default: throw new InputError(`expected one of ${RAW_DTYPES.join(', ')}, got dtype '${String(dtype)}'`);
  }
}

/** The dtype matching a typed array's constructor. */
export function dtypeOfData(data: RawArray['data']): RawDType {
  if (data instanceof Float32Array) return 'float32';
  if (data instanceof Float64Array) return 'float64';
  if (data instanceof Int32Array) return 'int32';
  if (data instanceof BigInt64Array) return 'int64';
  if (data instanceof Uint8Array) return 'uint8';
  throw new InputError(`expected a Float32Array, Float64Array, Int32Array, BigInt64Array or Uint8Array`);
}

/**
 * Build a RawArray, checking that the data type matches `dtype` and that its length matches the
 * shape. `data` is used as is (not copied).
 */
export function rawArray(data: RawArray['data'], shape: readonly number[], dtype: RawDType = dtypeOfData(data)): RawArray {
  assertRawArray({ data, shape: [...shape], dtype });
  return { data, shape: [...shape], dtype };
}

/** Throw InputError unless `raw` is internally consistent. `what` names it in the message. */
export function assertRawArray(raw: RawArray, what = 'array'): void {
  if (raw === null || typeof raw !== 'object' || !Array.isArray(raw.shape)) {
    throw new InputError(`${what}: expected a RawArray {data, shape, dtype}, got ${raw === null ? 'null' : typeof raw}`);
  }
  if (!isRawDType(raw.dtype)) {
    throw new InputError(`${what}: expected dtype one of ${RAW_DTYPES.join(', ')}, got '${String(raw.dtype)}'`);
  }
  const actual = dtypeOfData(raw.data);
  if (actual !== raw.dtype) {
    throw new InputError(`${what}: dtype says '${raw.dtype}' but data is a ${raw.data.constructor.name}`);
  }
  const n = numel(raw.shape);
  if (raw.data.length !== n) {
    throw new InputError(`${what}: shape [${raw.shape.join(', ')}] needs ${n} elements, data has ${raw.data.length}`);
  }
}

/** A copy of `raw` converted to float64 (int64 values beyond ±2^53 lose precision). */
export function toFloat64(raw: RawArray): RawArrayOf<'float64'> {
  const out = new Float64Array(raw.data.length);
  if (raw.data instanceof BigInt64Array) {
    for (let i = 0; i < out.length; i++) out[i] = Number(raw.data[i]);
  } else {
    out.set(raw.data);
  }
  return { data: out, shape: [...raw.shape], dtype: 'float64' };
}

/** A copy of `raw` converted to float32 (rounded to nearest). */
export function toFloat32(raw: RawArray): RawArrayOf<'float32'> {
  const out = new Float32Array(raw.data.length);
  if (raw.data instanceof BigInt64Array) {
    for (let i = 0; i < out.length; i++) out[i] = Number(raw.data[i]);
  } else {
    out.set(raw.data);
  }
  return { data: out, shape: [...raw.shape], dtype: 'float32' };
}

const INT32_MIN = -2147483648;
const INT32_MAX = 2147483647;

/**
 * A copy of `raw` converted to int32, for labels and indices. Throws InputError (naming the flat
 * index and value) when a value is outside the int32 range or, for float inputs, not an integer.
 * Typical use: int64 labels from a PyTorch-written safetensors/npy file.
 */
export function toInt32(raw: RawArray, what = 'array'): RawArrayOf<'int32'> {
  const src = raw.data;
  const out = new Int32Array(src.length);
  if (src instanceof BigInt64Array) {
    for (let i = 0; i < src.length; i++) {
      const v = src[i]!;
      if (v < BigInt(INT32_MIN) || v > BigInt(INT32_MAX)) {
        throw new InputError(`${what}: expected int32-range values, got ${v} at flat index ${i} (int64 value overflows int32)`);
      }
      out[i] = Number(v);
    }
  } else if (src instanceof Float32Array || src instanceof Float64Array) {
    for (let i = 0; i < src.length; i++) {
      const v = src[i]!;
      if (!Number.isInteger(v) || v < INT32_MIN || v > INT32_MAX) {
        throw new InputError(`${what}: expected integer values in int32 range, got ${v} at flat index ${i}`);
      }
      out[i] = v;
    }
  } else {
    out.set(src);
  }
  return { data: out, shape: [...raw.shape], dtype: 'int32' };
}

/** True on little-endian hosts (all platforms Node supports in practice; checked, not assumed). */
export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapBytesInPlace(bytes: Uint8Array, size: number): void {
  if (size === 1) return;
  for (let off = 0; off + size <= bytes.length; off += size) {
    for (let a = off, b = off + size - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/**
 * Decode `numel(shape) * itemSize(dtype)` bytes into a fresh typed array. The bytes are always
 * copied, so `bytes` may start at any (unaligned) offset of its buffer.
 */
export function decodeData<D extends RawDType>(
  bytes: Uint8Array,
  dtype: D,
  length: number,
  littleEndian: boolean,
): RawDataByDType[D] {
  const size = itemSize(dtype);
  if (bytes.length !== length * size) {
    throw new InputError(`expected ${length * size} bytes for ${length} ${dtype} values, got ${bytes.length}`);
  }
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  if (littleEndian !== HOST_LITTLE_ENDIAN) swapBytesInPlace(copy, size);
  switch (dtype) {
    case 'float32': return new Float32Array(copy.buffer, 0, length) as RawDataByDType[D];
    case 'float64': return new Float64Array(copy.buffer, 0, length) as RawDataByDType[D];
    case 'int32': return new Int32Array(copy.buffer, 0, length) as RawDataByDType[D];
    case 'int64': return new BigInt64Array(copy.buffer, 0, length) as RawDataByDType[D];
    default: return copy as RawDataByDType[D];
  }
}

/** Encode a typed array's elements as bytes in the requested byte order (always a copy). */
export function encodeData(data: RawArray['data'], littleEndian: boolean): Uint8Array {
  const bytes = new Uint8Array(data.byteLength);
  bytes.set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  if (littleEndian !== HOST_LITTLE_ENDIAN) swapBytesInPlace(bytes, data.BYTES_PER_ELEMENT);
  return bytes;
}

/**
 * Reorder column-major (Fortran-order) elements into row-major (C-order) ones for the same
 * logical shape. Used by the npy reader for `fortran_order: True` files.
 */
export function fortranToC<T extends RawArray['data']>(data: T, shape: readonly number[]): T {
  const n = data.length;
  const nd = shape.length;
  if (nd < 2 || n === 0) return data;
  const out = new (data.constructor as new (len: number) => T)(n);
  // Fortran strides: stride[0] = 1, stride[k] = stride[k-1] * shape[k-1].
  const fStride = new Array<number>(nd);
  fStride[0] = 1;
  for (let k = 1; k < nd; k++) fStride[k] = fStride[k - 1]! * shape[k - 1]!;
  const idx = new Array<number>(nd).fill(0);
  let src = 0;
  for (let i = 0; i < n; i++) {
    (out as unknown as { [k: number]: unknown })[i] = data[src];
    // Advance the C-order multi-index (last axis fastest) and the Fortran offset with it.
    for (let k = nd - 1; k >= 0; k--) {
      idx[k]!++;
      src += fStride[k]!;
      if (idx[k]! < shape[k]!) break;
      src -= fStride[k]! * shape[k]!;
      idx[k] = 0;
    }
  }
  return out;
}

/** Describe a value for error messages (short, JSON-ish). */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? value.slice(0, 57) + '...' : value);
  if (typeof value === 'bigint') return `${value}n`;
  try {
    const s = JSON.stringify(value);
    if (s === undefined) return String(value);
    return s.length > 60 ? s.slice(0, 57) + '...' : s;
  } catch {
    // Too deeply nested to stringify (or cyclic): describe the kind only. String(value) would
    // recurse as deeply and throw a RangeError of its own.
    return Array.isArray(value) ? '[a deeply nested array]' : value !== null && typeof value === 'object' ? '{a deeply nested object}' : typeof value;
  }
}
