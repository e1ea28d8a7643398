/**
 * TensorProto decoding (onnx.proto, message TensorProto):
 *
 *   1 dims (repeated int64)      2 data_type (int32)       3 segment (rejected)
 *   4 float_data (packed float)  5 int32_data (packed int32: also int16/int8/uint16/uint8/bool)
 *   6 string_data (ignored: STRING tensors are unsupported)  7 int64_data (packed int64)
 *   8 name   9 raw_data (bytes, little-endian elements)   10 double_data (packed double)
 *   11 uint64_data (packed uint64: also uint32)   12 doc_string   13 external_data   14 data_location
 *
 * Exactly one of raw_data and the typed field for the data type may hold the elements, and their
 * count must equal the product of dims (ShapeError naming the tensor otherwise). External data,
 * segments and data types outside OnnxDType are InputErrors. Elements are only allocated after the
 * byte count is checked against the input, so a hostile dims list cannot cause a large allocation.
 */
import { InputError, ShapeError } from '../../errors.js';
import type { OnnxDType, OnnxTensor } from './types.js';
import { WIRE_LEN, WIRE_VARINT, type WireReader, expectWire, readRepeated } from './wire.js';

/** TensorProto.DataType codes → dtype, element size in raw_data, and the typed field that may hold the data. */
const DTYPES: Record<number, { dtype: OnnxDType; size: number; field: 'float' | 'int32' | 'int64' | 'double' | 'uint64' }> = {
  1: { dtype: 'float32', size: 4, field: 'float' },
  2: { dtype: 'uint8', size: 1, field: 'int32' },
  3: { dtype: 'int8', size: 1, field: 'int32' },
  4: { dtype: 'uint16', size: 2, field: 'int32' },
  5: { dtype: 'int16', size: 2, field: 'int32' },
  6: { dtype: 'int32', size: 4, field: 'int32' },
  7: { dtype: 'int64', size: 8, field: 'int64' },
  9: { dtype: 'bool', size: 1, field: 'int32' },
  11: { dtype: 'float64', size: 8, field: 'double' },
  12: { dtype: 'uint32', size: 4, field: 'uint64' },
  13: { dtype: 'uint64', size: 8, field: 'uint64' },
};

const TYPE_NAMES: Record<number, string> = {
  0: 'UNDEFINED', 8: 'STRING', 10: 'FLOAT16', 14: 'COMPLEX64', 15: 'COMPLEX128', 16: 'BFLOAT16',
  17: 'FLOAT8E4M3FN', 18: 'FLOAT8E4M3FNUZ', 19: 'FLOAT8E5M2', 20: 'FLOAT8E5M2FNUZ', 21: 'UINT4', 22: 'INT4',
};

/** Name of a TensorProto.DataType code, for messages. */
export function dataTypeName(code: number): string {
  const d = DTYPES[code];
  return d ? d.dtype : TYPE_NAMES[code] ?? 'unknown';
}

/** Decode a TensorProto from `r` (a reader over exactly the message). `path` says where it sits. */
export function decodeTensor(r: WireReader, path: string): OnnxTensor {
  const start = r.pos;
  const dims: number[] = [];
  let dataType = 0;
  let name = '';
  let raw: Uint8Array | undefined;
  const typed: Record<'float' | 'int32' | 'int64' | 'double' | 'uint64', number[]> = { float: [], int32: [], int64: [], double: [], uint64: [] };
  let external = false;
  let segment = false;
  while (r.more()) {
    const [field, wire] = r.key(path);
    switch (field) {
      case 1: readRepeated(r, wire, 'int64', dims, `${path}.dims`); break;
      case 2: expectWire(r, wire, WIRE_VARINT, `${path}.data_type`); dataType = r.int32(`${path}.data_type`); break;
      case 3: segment = true; r.skip(wire, `${path}.segment`); break;
      case 4: readRepeated(r, wire, 'float', typed.float, `${path}.float_data`); break;
      case 5: readRepeated(r, wire, 'int32', typed.int32, `${path}.int32_data`); break;
      case 7: readRepeated(r, wire, 'int64', typed.int64, `${path}.int64_data`); break;
      case 8: expectWire(r, wire, WIRE_LEN, `${path}.name`); name = r.string(`${path}.name`); break;
      case 9: expectWire(r, wire, WIRE_LEN, `${path}.raw_data`); raw = r.bytesField(`${path}.raw_data`); break;
      case 10: readRepeated(r, wire, 'double', typed.double, `${path}.double_data`); break;
      case 11: readRepeated(r, wire, 'uint64', typed.uint64, `${path}.uint64_data`); break;
      case 13: external = true; r.skip(wire, `${path}.external_data`); break;
      case 14: expectWire(r, wire, WIRE_VARINT, `${path}.data_location`); if (r.int32(`${path}.data_location`) !== 0) external = true; break;
      default: r.skip(wire, `${path}.field ${field}`);
    }
  }
  const label = name ? `${path} '${name}'` : path;
  const fail = (msg: string): never => {
    throw new InputError(`${r.source}: ${label} (TensorProto at byte ${start}): ${msg}`);
  };
  if (external) fail('external data is not supported (save the model with its weights inside the .onnx file)');
  if (segment) fail('segmented tensors are not supported');
  const spec = DTYPES[dataType];
  if (!spec) fail(`unsupported tensor data type ${dataType} (${dataTypeName(dataType)})`);
  const { dtype, size, field } = spec!;
  for (const d of dims) if (d < 0) fail(`negative dimension ${d} in dims [${dims.join(', ')}]`);
  // Element count, saturating: anything beyond 2^53 cannot match the data anyway.
  let count = 1;
  for (const d of dims) count = Math.min(count * d, Number.MAX_SAFE_INTEGER + 1);
  for (const k of Object.keys(typed) as (keyof typeof typed)[]) {
    if (typed[k].length > 0 && (k !== field || raw !== undefined)) {
      fail(raw !== undefined ? `both raw_data and ${k}_data hold elements` : `${dtype} tensor has its elements in ${k}_data (expected raw_data or ${field}_data)`);
    }
  }
  const mismatch = (have: string): never => {
    throw new ShapeError(`${r.source}: ${label}: dims [${dims.join(', ')}] hold ${count > Number.MAX_SAFE_INTEGER ? 'more than 2^53' : count} ${dtype} elements, but ${have}`);
  };
  if (raw !== undefined) {
    if (raw.length % size !== 0 || raw.length / size !== count) mismatch(`raw_data has ${raw.length} bytes (${size} per element)`);
    return { name, dims, dtype, data: decodeRaw(raw, dtype, fail) };
  }
  const values = typed[field];
  if (values.length !== count) mismatch(`${field}_data has ${values.length} elements`);
  return { name, dims, dtype, data: fromTyped(values, dtype, fail) };
}

function decodeRaw(raw: Uint8Array, dtype: OnnxDType, fail: (msg: string) => never): OnnxTensor['data'] {
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case 'float32': {
      const out = new Float32Array(raw.length / 4);
      for (let k = 0; k < out.length; k++) out[k] = dv.getFloat32(4 * k, true);
      return out;
    }
    case 'float64': {
      const out = new Float64Array(raw.length / 8);
      for (let k = 0; k < out.length; k++) out[k] = dv.getFloat64(8 * k, true);
      return out;
    }
    case 'int32': {
      const out = new Int32Array(raw.length / 4);
      for (let k = 0; k < out.length; k++) out[k] = dv.getInt32(4 * k, true);
      return out;
    }
    case 'int16': case 'uint16': {
      const out = new Int32Array(raw.length / 2);
      for (let k = 0; k < out.length; k++) out[k] = dtype === 'int16' ? dv.getInt16(2 * k, true) : dv.getUint16(2 * k, true);
      return out;
    }
    case 'int8': return Int32Array.from(new Int8Array(raw.buffer, raw.byteOffset, raw.length));
    case 'uint8': return Int32Array.from(raw);
    case 'bool': return Int32Array.from(raw, (b) => (b !== 0 ? 1 : 0));
    case 'uint32': {
      const out: number[] = new Array(raw.length / 4);
      for (let k = 0; k < out.length; k++) out[k] = dv.getUint32(4 * k, true);
      return out;
    }
    case 'int64': case 'uint64': {
      const out: number[] = new Array(raw.length / 8);
      for (let k = 0; k < out.length; k++) {
        const v = dtype === 'int64' ? dv.getBigInt64(8 * k, true) : dv.getBigUint64(8 * k, true);
        if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
          fail(`element ${k} = ${v} is not a safe integer (|v| > 2^53 - 1)`);
        }
        out[k] = Number(v);
      }
      return out;
    }
  }
}

function fromTyped(values: number[], dtype: OnnxDType, fail: (msg: string) => never): OnnxTensor['data'] {
  switch (dtype) {
    case 'float32': return Float32Array.from(values);
    case 'float64': return Float64Array.from(values);
    case 'int64': return values;
    case 'uint32': case 'uint64': {
      const limit = dtype === 'uint32' ? 2 ** 32 - 1 : Number.MAX_SAFE_INTEGER;
      values.forEach((v, k) => { if (v > limit) fail(`element ${k} = ${v} is out of range for ${dtype}`); });
      return values;
    }
    default: {
      // int32_data holds int32, int16, int8, uint16, uint8 and bool values (widened to int32).
      const range: Record<string, [number, number]> = {
        int32: [-(2 ** 31), 2 ** 31 - 1], int16: [-(2 ** 15), 2 ** 15 - 1], int8: [-128, 127], uint16: [0, 65535], uint8: [0, 255], bool: [0, 1],
      };
      const [lo, hi] = range[dtype]!;
      values.forEach((v, k) => { if (v < lo || v > hi) fail(`element ${k} = ${v} is out of range for ${dtype}`); });
      return Int32Array.from(values);
    }
  }
}
