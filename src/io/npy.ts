/**
 * NumPy `.npy` reader and writer (format of NEP 1, "A simple file format for NumPy arrays", as
 * implemented by `numpy.lib.format`):
 *
 * ```
 * bytes 0-5   magic "\x93NUMPY"
 * byte  6-7   format version major, minor: 1.0, 2.0 or 3.0
 * then        header length HLEN: uint16 LE (v1.0) or uint32 LE (v2.0, v3.0)
 * then        HLEN bytes of header: a Python dict literal, e.g.
 *             {'descr': '<f8', 'fortran_order': False, 'shape': (3, 4), }
 *             padded with spaces and ending in '\n' (latin-1 in v1/v2, UTF-8 in v3)
 * then        the raw elements, product(shape) * itemsize bytes
 * ```
 *
 * Supported `descr`: '<f4', '<f8', '<i4', '<i8', '|u1' (and their big-endian '>' forms, byte-
 * swapped on read). Structured dtypes and other scalar types are rejected with an InputError.
 *
 * `fortran_order: True` files are supported: their elements are reordered into C order on read,
 * so the returned RawArray is always C-ordered with the file's logical shape.
 *
 * The writer emits version 1.0 (2.0 only if the header exceeds 65535 bytes, as numpy does),
 * little-endian, C order, with the header padded so that the data starts at a multiple of 64.
 */
import { InputError } from '../errors.js';
import {
  type RawArray, type RawDType, assertRawArray, decodeData, encodeData, fortranToC, itemSize, numel,
} from './array.js';
import { type ByteSource, fileSize, readBytes, readRange, sourceName } from './source.js';
import { writeFileAtomic } from './temp-files.js';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // \x93NUMPY
const ALIGN = 64;

/** descr without its byte-order character → dtype. */
const KIND_TO_DTYPE: Record<string, RawDType> = { f4: 'float32', f8: 'float64', i4: 'int32', i8: 'int64', u1: 'uint8' };
const DTYPE_TO_DESCR: Record<RawDType, string> = { float32: '<f4', float64: '<f8', int32: '<i4', int64: '<i8', uint8: '|u1' };

/** Read a .npy file from a path. */
export function readNpy(source: ByteSource): RawArray {
  return decodeNpy(readBytes(source, 'npy file'), sourceName(source));
}

/** Write a RawArray as a version 1.0 .npy file. */
export function writeNpy(path: string, raw: RawArray): void {
  writeFileAtomic(path, encodeNpy(raw), 'npy file');
}

/** What an npy header says: element type and byte order, layout, shape, and where the data starts. */
export interface NpyHeader {
  dtype: RawDType;
  littleEndian: boolean;
  fortranOrder: boolean;
  shape: number[];
  /** Byte offset of the first element. */
  dataStart: number;
  /** The header's descr as written (e.g. '>f8'), for messages. */
  descr: string;
}

/** Parse the preamble and header of .npy bytes (`bytes` may stop after the header). */
export function parseNpyHeader(bytes: Uint8Array, name = sourceName(bytes)): NpyHeader {
  const fail = (msg: string): never => {
    throw new InputError(`npy ${name}: ${msg}`);
  };
  if (bytes.length < 10) fail(`expected at least 10 bytes (magic, version, header length), got ${bytes.length} (truncated file?)`);
  for (let i = 0; i < MAGIC.length; i++) {
    if (bytes[i] !== MAGIC[i]) fail(`expected magic \\x93NUMPY, got ${hex(bytes.subarray(0, 6))} (not an npy file)`);
  }
  const major = bytes[6]!;
  const minor = bytes[7]!;
  if (minor !== 0 || major < 1 || major > 3) fail(`expected format version 1.0, 2.0 or 3.0, got ${major}.${minor}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerStart: number;
  let headerLen: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    headerStart = 10;
  } else {
    if (bytes.length < 12) fail(`expected at least 12 bytes for a version ${major}.0 preamble, got ${bytes.length} (truncated file?)`);
    headerLen = view.getUint32(8, true);
    headerStart = 12;
  }
  if (headerStart + headerLen > bytes.length) {
    fail(`header length ${headerLen} runs past the end of the ${bytes.length}-byte file (truncated file?)`);
  }
  const headerBytes = bytes.subarray(headerStart, headerStart + headerLen);
  let headerText: string;
  if (major === 3) {
    try {
      headerText = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(headerBytes);
    } catch {
      return fail('expected a UTF-8 header (format version 3.0), got invalid UTF-8 bytes');
    }
  } else {
    headerText = Buffer.from(headerBytes.buffer, headerBytes.byteOffset, headerBytes.byteLength).toString('latin1');
  }
  const shown = JSON.stringify(headerText.length > 200 ? headerText.slice(0, 197).trim() + '...' : headerText.trim());

  let header: PyValue;
  try {
    header = parsePyLiteral(headerText);
  } catch (err) {
    return fail(`header is not a valid Python dict literal (${(err as Error).message}): ${shown}`);
  }
  if (!(header instanceof Map)) return fail(`expected the header to be a dict, got ${shown}`);
  for (const key of ['descr', 'fortran_order', 'shape']) {
    if (!header.has(key)) fail(`header is missing the '${key}' key: ${shown}`);
  }
  const extra = [...header.keys()].filter((k) => !['descr', 'fortran_order', 'shape'].includes(String(k)));
  if (extra.length > 0) fail(`header has unexpected keys ${extra.slice(0, 5).map((k) => pyRepr(k, 40)).join(', ')}${extra.length > 5 ? ', ...' : ''}`);

  const descr = header.get('descr');
  if (typeof descr !== 'string') {
    return fail(`unsupported dtype: descr ${pyRepr(descr, 80)} (structured dtypes are not supported; expected one of '<f4', '<f8', '<i4', '<i8', '|u1')`);
  }
  const dt = parseDescr(descr);
  if (dt === null) fail(`unsupported dtype ${pyRepr(descr, 40)} (expected one of '<f4', '<f8', '<i4', '<i8', '|u1')`);
  const { dtype, littleEndian } = dt!;

  const fortran = header.get('fortran_order');
  if (typeof fortran !== 'boolean') fail(`expected 'fortran_order' to be True or False, got ${pyRepr(fortran, 80)}`);
  const shapeVal = header.get('shape');
  if (!Array.isArray(shapeVal) || PY_LISTS.has(shapeVal) || !shapeVal.every((d) => typeof d === 'number' && Number.isSafeInteger(d) && d >= 0)) {
    return fail(`expected 'shape' to be a tuple of non-negative integers, got ${PY_LISTS.has(shapeVal as PyValue[]) ? 'a list ' : ''}${pyRepr(shapeVal, 80)}`);
  }
  const shape = (shapeVal as number[]).map((d) => d + 0); // d + 0: -0 → 0
  return { dtype, littleEndian, fortranOrder: fortran as boolean, shape, dataStart: headerStart + headerLen, descr };
}

/** Parse .npy bytes. `name` only labels error messages. */
export function decodeNpy(bytes: Uint8Array, name = sourceName(bytes)): RawArray {
  const fail = (msg: string): never => {
    throw new InputError(`npy ${name}: ${msg}`);
  };
  const { dtype, littleEndian, fortranOrder: fortran, shape, dataStart, descr } = parseNpyHeader(bytes, name);
  const count = numel(shape);
  const expected = count * itemSize(dtype);
  const actual = bytes.length - dataStart;
  if (actual < expected) fail(`shape (${shape.join(', ')}) of '${descr}' needs ${expected} data bytes, file has ${actual} (truncated file?)`);
  if (actual > expected) fail(`shape (${shape.join(', ')}) of '${descr}' needs ${expected} data bytes, file has ${actual} (trailing bytes)`);

  let data = decodeData(bytes.subarray(dataStart), dtype, count, littleEndian);
  if (fortran) data = fortranToC(data, shape);
  return { data, shape: [...shape], dtype };
}

/** The header of a .npy file on disk, reading only its first bytes; checks the file's length. */
export function readNpyHeader(path: string): NpyHeader {
  const size = fileSize(path, 'npy file');
  const pre = readRange(path, 0, Math.min(size, 12), 'npy file');
  if (pre.length < 10) return parseNpyHeader(pre, path); // reports the truncation
  const v = new DataView(pre.buffer, pre.byteOffset, pre.byteLength);
  const headerLen = pre[6] === 1 ? v.getUint16(8, true) : pre.length >= 12 ? v.getUint32(8, true) : 0;
  const head = readRange(path, 0, Math.min(size, (pre[6] === 1 ? 10 : 12) + headerLen), 'npy file');
  const h = parseNpyHeader(head, path);
  const expected = numel(h.shape) * itemSize(h.dtype);
  if (size - h.dataStart !== expected) {
    throw new InputError(`npy ${path}: shape (${h.shape.join(', ')}) needs ${expected} data bytes, file has ${size - h.dataStart}`);
  }
  return h;
}

/**
 * Rows [start, start + count) of a C-ordered .npy file (along its first axis), read with one
 * positioned read: the rest of the file is never loaded. Fortran-ordered files are rejected (their
 * rows are not contiguous). `header` (from readNpyHeader) saves re-reading it.
 */
export function readNpyRows(path: string, start: number, count: number, header: NpyHeader = readNpyHeader(path)): RawArray {
  const { dtype, littleEndian, shape, dataStart } = header;
  if (header.fortranOrder) throw new InputError(`npy ${path}: ranged row reads need a C-ordered file, this one is fortran_order (rewrite it with numpy.ascontiguousarray)`);
  if (shape.length < 1) throw new InputError(`npy ${path}: ranged row reads need an array with at least one axis, got a scalar`);
  const n = shape[0]!;
  if (!Number.isSafeInteger(start) || !Number.isSafeInteger(count) || start < 0 || count < 0 || start + count > n) {
    throw new InputError(`npy ${path}: rows [${start}, ${start + count}) are outside [0, ${n})`);
  }
  const rowElems = numel(shape.slice(1));
  const bytes = readRange(path, dataStart + start * rowElems * itemSize(dtype), count * rowElems * itemSize(dtype), 'npy file');
  return { data: decodeData(bytes, dtype, count * rowElems, littleEndian), shape: [count, ...shape.slice(1)], dtype };
}

/** Serialize a RawArray to .npy bytes (version 1.0 unless the header needs 2.0). */
export function encodeNpy(raw: RawArray): Uint8Array {
  assertRawArray(raw, 'npy array');
  const shapeRepr = raw.shape.length === 1 ? `(${raw.shape[0]},)` : `(${raw.shape.join(', ')})`;
  const dict = `{'descr': '${DTYPE_TO_DESCR[raw.dtype]}', 'fortran_order': False, 'shape': ${shapeRepr}, }`;
  let major = 1;
  let preamble = 10;
  let total = Math.ceil((preamble + dict.length + 1) / ALIGN) * ALIGN;
  if (total - preamble > 0xffff) {
    major = 2;
    preamble = 12;
    total = Math.ceil((preamble + dict.length + 1) / ALIGN) * ALIGN;
  }
  const headerLen = total - preamble;
  const body = encodeData(raw.data, true);
  const out = new Uint8Array(total + body.length);
  out.set(MAGIC, 0);
  out[6] = major;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (major === 1) view.setUint16(8, headerLen, true);
  else view.setUint32(8, headerLen, true);
  for (let i = 0; i < dict.length; i++) out[preamble + i] = dict.charCodeAt(i);
  out.fill(0x20, preamble + dict.length, total - 1);
  out[total - 1] = 0x0a; // '\n'
  out.set(body, total);
  return out;
}

function parseDescr(descr: string): { dtype: RawDType; littleEndian: boolean } | null {
  const m = /^([<>|=]?)([a-z]\d+)$/.exec(descr);
  if (m === null) return null;
  const [, order, kind] = m as unknown as [string, string, string];
  const dtype = KIND_TO_DTYPE[kind];
  if (dtype === undefined) return null;
  if (itemSize(dtype) === 1) return { dtype, littleEndian: true }; // byte order is irrelevant
  if (order === '<') return { dtype, littleEndian: true };
  if (order === '>') return { dtype, littleEndian: false };
  return null; // '|' or '=' or none for a multi-byte type: byte order unknown
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}

// ---------------------------------------------------------------------------------------------
// A tiny parser for the Python literals numpy writes in npy headers. The grammar it accepts (a
// strict subset of Python's, enough for every header numpy has written):
//
//   value  := dict | tuple | list | string | int | 'True' | 'False' | 'None'
//   dict   := '{' [ value ':' value { ',' value ':' value } [','] ] '}'     (no duplicate keys)
//   tuple  := '(' [ value { ',' value } [','] ] ')'      list := the same with '[' ']'
//             (lists parse, for the messages about structured descrs, but 'shape' must be a tuple)
//   string := '...' or "..." without backslashes or line breaks
//   int    := ['-'] digits ['L']   (Python 2 long suffix)
//
// with spaces, tabs, form feeds and line breaks (\n, \r) allowed between tokens, and nesting at
// most MAX_DEPTH deep.

/** Parsed Python literal: dict → Map, tuple/list → array. */
export type PyValue = string | number | boolean | null | PyValue[] | Map<PyValue, PyValue>;

const MAX_DEPTH = 32;
/** The arrays that were Python lists rather than tuples (numpy requires a tuple for 'shape'). */
const PY_LISTS = new WeakSet<PyValue[]>();
const PY_WS = /[ \t\f\n\r]*/y;
const PY_ATOM = /(-?\d+)L?(?![A-Za-z0-9_])|(True|False|None)(?![A-Za-z0-9_])/y;

function parsePyLiteral(text: string): PyValue {
  let i = 0;
  const ws = (): void => {
    PY_WS.lastIndex = i;
    PY_WS.test(text);
    i = PY_WS.lastIndex;
  };
  const at = (): string => (text[i] === undefined ? 'end of header' : `'${text[i]}'`);
  const expect = (c: string): void => {
    ws();
    if (text[i] !== c) throw new Error(`expected '${c}' at offset ${i}, got ${at()}`);
    i++;
  };
  const value = (depth: number): PyValue => {
    ws();
    const c = text[i];
    if (c === undefined) throw new Error('unexpected end of header');
    if ((c === '{' || c === '(' || c === '[') && depth >= MAX_DEPTH) throw new Error(`nested more than ${MAX_DEPTH} deep at offset ${i}`);
    if (c === '{') {
      i++;
      const map = new Map<PyValue, PyValue>();
      for (;;) {
        ws();
        if (text[i] === '}') { i++; return map; }
        const keyAt = i;
        const k = value(depth + 1);
        if (k instanceof Map || Array.isArray(k)) throw new Error(`expected a string, number or constant as dict key at offset ${keyAt}`);
        if (map.has(k)) throw new Error(`duplicate key ${pyRepr(k, 40)} at offset ${keyAt}`);
        expect(':');
        map.set(k, value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        expect('}');
        return map;
      }
    }
    if (c === '(' || c === '[') {
      const close = c === '(' ? ')' : ']';
      i++;
      const items: PyValue[] = [];
      for (;;) {
        ws();
        if (text[i] === close) { i++; break; }
        items.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        expect(close);
        break;
      }
      if (close === ']') PY_LISTS.add(items);
      return items;
    }
    if (c === "'" || c === '"') {
      const end = text.indexOf(c, i + 1);
      if (end < 0) throw new Error(`unterminated string at offset ${i}`);
      const s = text.slice(i + 1, end);
      if (/[\\\n\r]/.test(s)) throw new Error(`unsupported backslash or line break in the string at offset ${i}`);
      i = end + 1;
      return s;
    }
    PY_ATOM.lastIndex = i;
    const m = PY_ATOM.exec(text);
    if (m === null) throw new Error(`unexpected ${at()} at offset ${i}`);
    i = PY_ATOM.lastIndex;
    if (m[1] !== undefined) return Number(m[1]);
    return m[2] === 'True' ? true : m[2] === 'False' ? false : null;
  };
  const v = value(0);
  ws();
  if (i !== text.length) throw new Error(`unexpected ${at()} after the dict at offset ${i}`);
  return v;
}

/** Python-like repr for messages, cut to about `max` characters. */
function pyRepr(v: PyValue | undefined, max = Infinity): string {
  const s = reprOf(v, 0);
  return s.length > max ? s.slice(0, Math.max(0, max - 3)) + '...' : s;
}

function reprOf(v: PyValue | undefined, depth: number): string {
  if (v === undefined) return 'nothing';
  if (depth > MAX_DEPTH) return '...';
  if (v instanceof Map) return `{${[...v].map(([k, x]) => `${reprOf(k, depth + 1)}: ${reprOf(x, depth + 1)}`).join(', ')}}`;
  if (Array.isArray(v)) return `(${v.map((x) => reprOf(x, depth + 1)).join(', ')})`;
  if (typeof v === 'string') return `'${v}'`;
  if (v === null) return 'None';
  if (typeof v === 'boolean') return v ? 'True' : 'False';
  return String(v);
}
