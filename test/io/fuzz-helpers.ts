/**
 * Fuzzing the file readers (DESIGN.md, "Numerics and tests": accepted data equals a strict
 * reading; rejections are typed; allocation bounded by the file size).
 *
 * For each format this module has
 *
 * - a generator of valid files in many variants (dtypes, shapes, orders, versions, layouts),
 *   driven by the project's seeded Random;
 * - mutators: byte flips, truncations, extensions, and edits of header fields (shapes, dtypes,
 *   offsets, lengths, JSON / Python-literal text, duplicated and overlapping ranges);
 * - a strict reference reader written independently of src/io (its own JSON and Python-literal
 *   tokenizers, DataView decoding, BigInt size arithmetic, byte-coverage maps, a CSV state
 *   machine). It returns the decoded data or throws RefReject.
 *
 * `fuzzFormat` runs `count` cases and checks, for each: the reader accepts exactly when the
 * reference does; accepted data (dtype, shape, every value, names, metadata) equals the
 * reference's; a rejection is a CurvatureError (InputError), never a RangeError or TypeError; and
 * the ArrayBuffer memory the reader holds right after returning is within a small multiple of the
 * input size. Case k of a run uses its own Random, so a failing case replays alone from
 * (seed, k). scripts/fuzz-readers.mjs runs the same cases in bulk against dist/.
 */
import { gunzipSync, gzipSync } from 'node:zlib';
import { CurvatureError } from '../../src/errors.js';
import type { RawArray } from '../../src/io/array.js';
import { csvToMatrix, parseCsv, type CsvOptions } from '../../src/io/csv.js';
import { decodeIdx } from '../../src/io/idx.js';
import { decodeNpy } from '../../src/io/npy.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { Random } from '../../src/tensor/random.js';
import { concat as concatBytes } from './helpers.js';

export const FUZZ_FORMATS = ['safetensors', 'npy', 'idx', 'idx.gz', 'csv'] as const;
export type FuzzFormat = (typeof FUZZ_FORMATS)[number];

/** The reference reader's verdict that an input is not a valid file. */
export class RefReject extends Error {}
/** The reference cannot decide (e.g. nesting deeper than its recursion allows): the case is skipped. */
class RefUndecided extends Error {}

const reject = (why: string): never => {
  throw new RefReject(why);
};

// =============================================================================================
// Small utilities

type Scalar = number | bigint;

/** A decoded array in a form both readers are compared in. */
export interface RefArray {
  dtype: string;
  shape: number[];
  values: Scalar[];
}

function pick<T>(rng: Random, items: readonly T[]): T {
  return items[rng.int(items.length)]!;
}

function chance(rng: Random, p: number): boolean {
  return rng.uniform() < p;
}

function randomBytes(rng: Random, n: number): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = rng.nextUint32() & 0xff;
  return out;
}


const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

function randomShape(rng: Random, maxRank = 3): number[] {
  const rank = rng.int(maxRank + 1);
  return Array.from({ length: rank }, () => (chance(rng, 0.1) ? 0 : 1 + rng.int(4)));
}

function product(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/** Exact element count of a shape of non-negative integers, as a BigInt. */
function bigProduct(shape: readonly (number | bigint)[]): bigint {
  let n = 1n;
  for (const d of shape) n *= BigInt(d);
  return n;
}

/** Element values read one by one with a DataView (the reference's decoding). */
function readElements(bytes: Uint8Array, count: number, size: number, get: (dv: DataView, off: number) => Scalar): Scalar[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Scalar[] = [];
  for (let k = 0; k < count; k++) out.push(get(dv, k * size));
  return out;
}

/** Accessors by element kind and byte order. */
function getter(kind: 'f4' | 'f8' | 'i4' | 'i8' | 'u1' | 'i1' | 'i2', little: boolean): { size: number; get: (dv: DataView, o: number) => Scalar } {
  switch (kind) {
    case 'f4': return { size: 4, get: (dv, o) => dv.getFloat32(o, little) };
    case 'f8': return { size: 8, get: (dv, o) => dv.getFloat64(o, little) };
    case 'i4': return { size: 4, get: (dv, o) => dv.getInt32(o, little) };
    case 'i8': return { size: 8, get: (dv, o) => dv.getBigInt64(o, little) };
    case 'u1': return { size: 1, get: (dv, o) => dv.getUint8(o) };
    case 'i1': return { size: 1, get: (dv, o) => dv.getInt8(o) };
    case 'i2': return { size: 2, get: (dv, o) => dv.getInt16(o, little) };
  }
}

/** The reader's RawArray in comparable form. */
function fromRaw(raw: RawArray): RefArray {
  return { dtype: raw.dtype, shape: [...raw.shape], values: Array.from(raw.data as ArrayLike<Scalar>) };
}

/** '' when equal, else a description of the first difference. */
function diffArrays(got: RefArray, want: RefArray, where = ''): string {
  if (got.dtype !== want.dtype) return `${where}dtype ${got.dtype} != ${want.dtype}`;
  if (got.shape.length !== want.shape.length || got.shape.some((d, k) => !Object.is(d, want.shape[k]))) {
    return `${where}shape [${got.shape.join(', ')}] != [${want.shape.join(', ')}]`;
  }
  if (got.values.length !== want.values.length) return `${where}${got.values.length} values != ${want.values.length}`;
  for (let k = 0; k < got.values.length; k++) {
    if (!Object.is(got.values[k], want.values[k])) return `${where}value ${k}: ${String(got.values[k])} != ${String(want.values[k])}`;
  }
  return '';
}

// =============================================================================================
// Reference JSON parser (RFC 8259), keeping objects as ordered key/value pairs and rejecting
// duplicate keys, as the safetensors spec requires.

type Json = null | boolean | number | string | Json[] | JsonObject;
interface JsonObject { pairs: Array<[string, Json]> }

function isJsonObject(v: Json | undefined): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function parseJsonStrict(text: string): Json {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && (text[i] === ' ' || text[i] === '\t' || text[i] === '\n' || text[i] === '\r')) i++;
  };
  const str = (): string => {
    // at '"'
    i++;
    let out = '';
    for (;;) {
      if (i >= text.length) reject('JSON: unterminated string');
      const c = text[i]!;
      const code = c.charCodeAt(0);
      if (c === '"') { i++; return out; }
      if (code < 0x20) reject('JSON: control character in string');
      if (c !== '\\') { out += c; i++; continue; }
      const e = text[i + 1];
      const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
      if (e !== undefined && e in simple) { out += simple[e]; i += 2; continue; }
      if (e === 'u') {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) reject('JSON: bad \\u escape');
        out += String.fromCharCode(parseInt(hex, 16));
        i += 6;
        continue;
      }
      reject('JSON: bad escape');
    }
  };
  const num = (): number => {
    const start = i;
    if (text[i] === '-') i++;
    const digit = (k: number): boolean => text[k] !== undefined && text[k]! >= '0' && text[k]! <= '9';
    if (text[i] === '0') i++;
    else if (digit(i)) while (digit(i)) i++;
    else reject('JSON: bad number');
    if (text[i] === '.') {
      i++;
      if (!digit(i)) reject('JSON: bad fraction');
      while (digit(i)) i++;
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++;
      if (text[i] === '+' || text[i] === '-') i++;
      if (!digit(i)) reject('JSON: bad exponent');
      while (digit(i)) i++;
    }
    return Number(text.slice(start, i));
  };
  const value = (depth: number): Json => {
    if (depth > 2000) throw new RefUndecided('JSON nested too deep for the reference');
    ws();
    const c = text[i];
    if (c === '{') {
      i++;
      const obj: JsonObject = { pairs: [] };
      const seen = new Set<string>();
      ws();
      if (text[i] === '}') { i++; return obj; }
      for (;;) {
        ws();
        if (text[i] !== '"') reject('JSON: expected a key');
        const k = str();
        if (seen.has(k)) reject(`JSON: duplicate key ${k}`);
        seen.add(k);
        ws();
        if (text[i] !== ':') reject('JSON: expected :');
        i++;
        obj.pairs.push([k, value(depth + 1)]);
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === '}') { i++; return obj; }
        reject('JSON: expected , or }');
      }
    }
    if (c === '[') {
      i++;
      const arr: Json[] = [];
      ws();
      if (text[i] === ']') { i++; return arr; }
      for (;;) {
        arr.push(value(depth + 1));
        ws();
        if (text[i] === ',') { i++; continue; }
        if (text[i] === ']') { i++; return arr; }
        reject('JSON: expected , or ]');
      }
    }
    if (c === '"') return str();
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return num();
    for (const [word, v] of [['true', true], ['false', false], ['null', null]] as const) {
      if (text.startsWith(word, i)) { i += word.length; return v; }
    }
    return reject('JSON: unexpected character');
  };
  const v = value(0);
  ws();
  if (i !== text.length) reject('JSON: trailing characters');
  return v;
}

function jsonGet(obj: JsonObject, key: string): Json | undefined {
  const p = obj.pairs.find(([k]) => k === key);
  return p === undefined ? undefined : p[1];
}

// =============================================================================================
// safetensors: reference reader

const ST_KINDS: Record<string, { dtype: string; kind: 'f4' | 'f8' | 'i4' | 'i8' | 'u1' }> = {
  F32: { dtype: 'float32', kind: 'f4' },
  F64: { dtype: 'float64', kind: 'f8' },
  I32: { dtype: 'int32', kind: 'i4' },
  I64: { dtype: 'int64', kind: 'i8' },
  U8: { dtype: 'uint8', kind: 'u1' },
};

export interface RefSafetensors {
  tensors: Array<[string, RefArray]>;
  metadata: Array<[string, string]>;
}

const isCount = (v: Json | undefined): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 0 && v <= Number.MAX_SAFE_INTEGER;

/** Strict reading of a safetensors file (huggingface/safetensors README, "Format"). */
export function refSafetensors(bytes: Uint8Array): RefSafetensors {
  if (bytes.length < 8) reject('shorter than the length field');
  const n = new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(bytes.length - 8)) reject('header runs past the end');
  const headerEnd = 8 + Number(n);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, headerEnd));
  } catch {
    return reject('header is not UTF-8');
  }
  if (text[0] !== '{') reject("header does not start with '{'");
  const header = parseJsonStrict(text);
  if (!isJsonObject(header)) reject('header is not an object');
  const bufLen = bytes.length - headerEnd;
  const metadata: Array<[string, string]> = [];
  const specs: Array<{ name: string; dtype: string; kind: 'f4' | 'f8' | 'i4' | 'i8' | 'u1'; shape: number[]; begin: number; end: number }> = [];
  for (const [name, v] of (header as JsonObject).pairs) {
    if (name === '__metadata__') {
      if (!isJsonObject(v)) reject('metadata is not an object');
      for (const [k, s] of (v as JsonObject).pairs) {
        if (typeof s !== 'string') reject('metadata value is not a string');
        metadata.push([k, s as string]);
      }
      continue;
    }
    if (!isJsonObject(v)) reject('tensor entry is not an object');
    const info = v as JsonObject;
    const dt = jsonGet(info, 'dtype');
    if (typeof dt !== 'string' || !Object.prototype.hasOwnProperty.call(ST_KINDS, dt)) reject('dtype missing or not supported');
    const shape = jsonGet(info, 'shape');
    if (!Array.isArray(shape) || !shape.every(isCount)) reject('bad shape');
    const off = jsonGet(info, 'data_offsets');
    if (!Array.isArray(off) || off.length !== 2 || !off.every(isCount)) reject('bad data_offsets');
    const [begin, end] = off as [number, number];
    if (begin > end || end > bufLen) reject('offsets out of range');
    const { dtype, kind } = ST_KINDS[dt as string]!;
    const size = getter(kind, true).size;
    if (bigProduct(shape as number[]) * BigInt(size) !== BigInt(end - begin)) reject('byte length != dtype x shape');
    specs.push({ name, dtype, kind, shape: (shape as number[]).map((d) => d + 0), begin, end });
  }
  // Exact coverage: every byte of the data buffer in exactly one tensor; an empty tensor sits at
  // 0, at the end, or at a boundary of a non-empty one.
  const cover = new Uint8Array(bufLen);
  const boundaries = new Set<number>([0, bufLen]);
  for (const s of specs) {
    if (s.end === s.begin) continue;
    boundaries.add(s.begin);
    boundaries.add(s.end);
    for (let b = s.begin; b < s.end; b++) {
      if (cover[b]! > 0) reject('overlapping ranges');
      cover[b] = 1;
    }
  }
  if (cover.includes(0)) reject('a hole in the data buffer');
  for (const s of specs) if (s.begin === s.end && !boundaries.has(s.begin)) reject('an empty tensor inside another');
  return {
    metadata: metadata.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    tensors: specs.map((s) => {
      const g = getter(s.kind, true);
      const count = product(s.shape);
      return [s.name, { dtype: s.dtype, shape: s.shape, values: readElements(bytes.subarray(headerEnd + s.begin, headerEnd + s.end), count, g.size, g.get) }];
    }),
  };
}

// safetensors: generator and structured mutations --------------------------------------------

/** A header entry as written: fields as [key, JSON text] so duplicates and junk are expressible. */
interface StEntry { name: string; fields: Array<[string, string]>; raw?: string }
interface StModel { entries: StEntry[]; data: Uint8Array; lengthDelta: number; pad: string }

const ST_NAMES = ['w', 'b', 'weight', 'layer.0.bias', '0', '10', 'é', 'x y', '__proto__', 'constructor', ''];
const ST_SUPPORTED = ['F32', 'F64', 'I32', 'I64', 'U8'];
const ST_OTHER = ['F16', 'BF16', 'BOOL', 'I8', 'U16', 'f32', 'F33', 'toString'];
const ST_SIZE: Record<string, number> = { F32: 4, F64: 8, I32: 4, I64: 8, U8: 1, F16: 2, BF16: 2, BOOL: 1, I8: 1, U16: 2 };

function genSafetensorsModel(rng: Random): StModel {
  const count = rng.int(5);
  const names = new Set<string>();
  const specs: Array<{ name: string; dtype: string; shape: number[]; bytes: number }> = [];
  while (specs.length < count) {
    const name = chance(rng, 0.8) ? pick(rng, ST_NAMES) : `t${rng.int(1000)}`;
    if (names.has(name)) continue;
    names.add(name);
    const dtype = chance(rng, 0.92) ? pick(rng, ST_SUPPORTED) : pick(rng, ['F16', 'BF16', 'BOOL', 'I8']);
    const shape = randomShape(rng);
    specs.push({ name, dtype, shape, bytes: product(shape) * ST_SIZE[dtype]! });
  }
  // Data laid out in a random order, not necessarily the header's.
  const layout = [...specs.keys()];
  for (let k = layout.length - 1; k > 0; k--) {
    const j = rng.int(k + 1);
    [layout[k], layout[j]] = [layout[j]!, layout[k]!];
  }
  const offsets = new Map<number, [number, number]>();
  let pos = 0;
  for (const k of layout) {
    offsets.set(k, [pos, pos + specs[k]!.bytes]);
    pos += specs[k]!.bytes;
  }
  const entries: StEntry[] = specs.map((s, k) => {
    const fields: Array<[string, string]> = [
      ['dtype', JSON.stringify(s.dtype)],
      ['shape', JSON.stringify(s.shape)],
      ['data_offsets', JSON.stringify(offsets.get(k))],
    ];
    for (let j = fields.length - 1; j > 0; j--) {
      if (chance(rng, 0.3)) [fields[j], fields[j - 1]] = [fields[j - 1]!, fields[j]!];
    }
    return { name: s.name, fields };
  });
  if (chance(rng, 0.4)) {
    const md: Array<[string, string]> = [['format', JSON.stringify('pt')]];
    if (chance(rng, 0.5)) md.push(['note', JSON.stringify(pick(rng, ['', 'héllo', 'a"b', '{}', '\u2603']))]);
    entries.splice(rng.int(entries.length + 1), 0, { name: '__metadata__', fields: md });
  }
  return { entries, data: randomBytes(rng, pos), lengthDelta: 0, pad: ' '.repeat(rng.int(8)) };
}

function stHeaderText(m: StModel): string {
  const entry = (e: StEntry): string => `${JSON.stringify(e.name)}:${e.raw ?? `{${e.fields.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',')}}`}`;
  return `{${m.entries.map(entry).join(',')}}${m.pad}`;
}

function stBytes(m: StModel, headerText = stHeaderText(m)): Uint8Array {
  const h = utf8(headerText);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(Math.max(0, h.length + m.lengthDelta)), true);
  return concatBytes(len, h, m.data);
}

const HUGE_COUNTS = [2 ** 31, 2 ** 32, 2 ** 32 + 1, 2 ** 40, 2 ** 53 - 1, 2 ** 53 + 2, 1e300];

function mutateStModel(rng: Random, m: StModel): void {
  const tensors = m.entries.filter((e) => e.name !== '__metadata__');
  const t = tensors.length > 0 ? pick(rng, tensors) : undefined;
  const field = (e: StEntry, k: string): [string, string] | undefined => e.fields.find(([f]) => f === k);
  const setField = (e: StEntry, k: string, v: string): void => {
    const f = field(e, k);
    if (f) f[1] = v;
    else e.fields.push([k, v]);
  };
  const parse = (e: StEntry, k: string): unknown => {
    const f = field(e, k);
    try { return f ? JSON.parse(f[1]) : undefined; } catch { return undefined; }
  };
  switch (rng.int(13)) {
    case 0: { // shape edit
      if (!t) return;
      const shape = parse(t, 'shape');
      const s = Array.isArray(shape) ? [...shape] : [];
      const r = rng.int(8);
      if (r === 0 && s.length > 0) s[rng.int(s.length)] += chance(rng, 0.5) ? 1 : -1;
      else if (r === 1) s.push(1 + rng.int(3));
      else if (r === 2) s.pop();
      else if (r === 3 && s.length > 0) s[rng.int(s.length)] = pick(rng, HUGE_COUNTS);
      else if (r === 4) s.push(pick(rng, HUGE_COUNTS), 0);
      else if (r === 5) { setField(t, 'shape', pick(rng, ['null', '3', '"2"', '{}', '[1.5]', '[-1]', '[true]', '[-0]', '[2e0]'])); return; }
      else if (r === 6) s.unshift(0);
      else { t.fields = t.fields.filter(([f]) => f !== 'shape'); return; }
      setField(t, 'shape', JSON.stringify(s));
      return;
    }
    case 1: { // dtype edit
      if (!t) return;
      const r = rng.int(4);
      if (r === 0) setField(t, 'dtype', JSON.stringify(pick(rng, [...ST_SUPPORTED, ...ST_OTHER])));
      else if (r === 1) setField(t, 'dtype', pick(rng, ['7', 'null', '["F32"]', '"constructor"', '"__proto__"']));
      else if (r === 2) t.fields = t.fields.filter(([f]) => f !== 'dtype');
      else setField(t, 'dtype', JSON.stringify(pick(rng, ST_SUPPORTED)));
      return;
    }
    case 2: { // offsets edit
      if (!t) return;
      const off = parse(t, 'data_offsets');
      const o = Array.isArray(off) ? [...off] : [0, 0];
      const r = rng.int(8);
      if (r === 0) o[rng.int(2)] += pick(rng, [-8, -1, 1, 4, 8]);
      else if (r === 1) o.reverse();
      else if (r === 2) o[1] = pick(rng, HUGE_COUNTS);
      else if (r === 3) o.push(o[1]);
      else if (r === 4) { o[0] += 1; o[1] += 1; }
      else if (r === 5) { setField(t, 'data_offsets', pick(rng, ['[0]', '[]', '"0,4"', '[-4,0]', '[0.5,4]', '[0,4,8]', 'null'])); return; }
      else if (r === 6) { const other = pick(rng, tensors); const oo = parse(other, 'data_offsets'); if (Array.isArray(oo)) { o[0] = oo[0]; o[1] = oo[1]; } }
      else { t.fields = t.fields.filter(([f]) => f !== 'data_offsets'); return; }
      setField(t, 'data_offsets', JSON.stringify(o));
      return;
    }
    case 3: { // every tensor claims the same range (the memory bomb of issue 10, in small)
      if (!t) return;
      const off = field(t, 'data_offsets');
      const shape = field(t, 'shape');
      const dtype = field(t, 'dtype');
      for (let k = 0; k < 1 + rng.int(20); k++) {
        m.entries.push({ name: `copy${k}`, fields: [['dtype', dtype?.[1] ?? '"U8"'], ['shape', shape?.[1] ?? '[]'], ['data_offsets', off?.[1] ?? '[0,0]']] });
      }
      return;
    }
    case 4: { // duplicate or remove an entry, or rename one
      if (m.entries.length === 0) return;
      const e = pick(rng, m.entries);
      const r = rng.int(4);
      if (r === 0) m.entries.push({ name: e.name, fields: e.fields.map(([k, v]) => [k, v] as [string, string]) });
      else if (r === 1) m.entries.splice(m.entries.indexOf(e), 1);
      else if (r === 2) e.name = pick(rng, ['__metadata__', ...ST_NAMES]);
      else e.fields.push([pick(rng, ['dtype', 'shape', 'extra', 'data_offsets']), pick(rng, ['1', '"F32"', '[0,0]', '[]'])]);
      return;
    }
    case 5: { // metadata edits
      const md = m.entries.find((e) => e.name === '__metadata__');
      if (!md) { m.entries.unshift({ name: '__metadata__', fields: [['k', pick(rng, ['1', 'null', '"v"', '["v"]'])]] }); return; }
      if (chance(rng, 0.5)) md.fields.push([pick(rng, ['format', 'k', '']), pick(rng, ['"x"', '2', 'true', '{}'])]);
      else { const i = m.entries.indexOf(md); m.entries[i] = { name: '__metadata__', fields: [] }; if (chance(rng, 0.5)) m.pad = ''; }
      return;
    }
    case 6: // entry replaced by something else
      if (!t) return;
      t.raw = pick(rng, ['3', '[]', 'null', '"x"', '{}', '[[[[1]]]]', '{"dtype":"F32"}']);
      return;
    case 7: // data buffer shortened or lengthened without touching the header
      if (chance(rng, 0.5) && m.data.length > 0) m.data = m.data.subarray(0, rng.int(m.data.length));
      else m.data = concatBytes(m.data, randomBytes(rng, 1 + rng.int(8)));
      return;
    case 8: // header length field off
      m.lengthDelta = pick(rng, [-1, 1, -8, 8, -2, 1000]);
      return;
    case 9: // padding variants (JSON whitespace is allowed, other bytes are not)
      m.pad = pick(rng, ['', ' ', '\t', '\n', '\r\n', '  x', '\u0000', '\u00a0', ' }']);
      return;
    case 10: // many empty tensors at one boundary
      for (let k = 0; k < 1 + rng.int(3); k++) {
        m.entries.push({ name: `empty${k}`, fields: [['dtype', '"F32"'], ['shape', '[0]'], ['data_offsets', JSON.stringify(pick(rng, [[0, 0], [m.data.length, m.data.length], [1, 1], [4, 4]]))]] });
      }
      return;
    case 11: { // offsets made consistent with an edited shape (valid again, or overlapping)
      if (!t) return;
      const off = parse(t, 'data_offsets');
      const shape = parse(t, 'shape');
      const dt = parse(t, 'dtype');
      if (Array.isArray(off) && Array.isArray(shape) && typeof dt === 'string' && ST_SIZE[dt]) {
        const bytes = product(shape as number[]) * ST_SIZE[dt]!;
        setField(t, 'data_offsets', JSON.stringify([off[0], off[0] + bytes]));
      }
      return;
    }
    default: // nested duplicate key
      if (!t) return;
      t.fields.push([pick(rng, ['dtype', 'shape', 'data_offsets']), field(t, 'shape')?.[1] ?? '[]']);
  }
}

const ST_TEXT_PALETTE = ['{', '}', '[', ']', '"', ':', ',', ' ', '0', '1', '9', '-', '.', 'e', '\\', '\\u0041', '\ufeff', 'null', 'é', '\n'];

function mutateText(rng: Random, text: string, palette: readonly string[]): string {
  const at = rng.int(text.length + 1);
  const r = rng.int(3);
  if (r === 0) return text.slice(0, at) + pick(rng, palette) + text.slice(at);
  if (r === 1) return text.slice(0, at) + text.slice(at + 1 + rng.int(3));
  return text.slice(0, at) + pick(rng, palette) + text.slice(at + 1);
}

/** Byte-level mutations shared by every binary format. `hot` is the header region, hit more often. */
function mutateBytes(rng: Random, bytes: Uint8Array, hot: number): Uint8Array {
  const r = rng.int(6);
  if (r <= 1 && bytes.length > 0) { // flip a byte or a bit
    const out = bytes.slice();
    const i = chance(rng, 0.7) && hot > 0 ? rng.int(Math.min(hot, out.length)) : rng.int(out.length);
    out[i] = chance(rng, 0.5) ? out[i]! ^ (1 << rng.int(8)) : rng.int(256);
    return out;
  }
  if (r === 2) return bytes.subarray(0, rng.int(bytes.length + 1)).slice(); // truncate
  if (r === 3) return concatBytes(bytes, randomBytes(rng, 1 + rng.int(16))); // extend
  if (r === 4 && bytes.length > 0) { // delete a run
    const i = rng.int(bytes.length);
    return concatBytes(bytes.subarray(0, i), bytes.subarray(i + 1 + rng.int(4)));
  }
  const i = rng.int(bytes.length + 1); // insert a run
  return concatBytes(bytes.subarray(0, i), randomBytes(rng, 1 + rng.int(4)), bytes.subarray(i));
}

function genSafetensorsCase(rng: Random): Uint8Array {
  const m = genSafetensorsModel(rng);
  const r = rng.uniform();
  if (r < 0.15) return stBytes(m); // valid as generated (unless an unsupported dtype)
  if (r < 0.7) {
    for (let k = 0, n = 1 + rng.int(3); k < n; k++) mutateStModel(rng, m);
    return stBytes(m);
  }
  if (r < 0.8) {
    let text = stHeaderText(m);
    for (let k = 0, n = 1 + rng.int(2); k < n; k++) text = mutateText(rng, text, ST_TEXT_PALETTE);
    if (chance(rng, 0.1)) text = '\ufeff' + text;
    return stBytes(m, text);
  }
  const bytes = stBytes(m);
  let out = mutateBytes(rng, bytes, 8 + stHeaderText(m).length);
  if (chance(rng, 0.3)) out = mutateBytes(rng, out, 8);
  return out;
}

function compareSafetensors(bytes: Uint8Array): Outcome {
  return compare(
    () => refSafetensors(bytes),
    () => {
      const r = readSafetensors(bytes);
      return {
        tensors: [...r.tensors].map(([k, raw]) => [k, fromRaw(raw)] as [string, RefArray]),
        metadata: Object.entries(r.metadata).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
      };
    },
    (got, want) => {
      if (JSON.stringify(got.metadata) !== JSON.stringify(want.metadata)) return `metadata ${JSON.stringify(got.metadata)} != ${JSON.stringify(want.metadata)}`;
      if (got.tensors.length !== want.tensors.length) return `${got.tensors.length} tensors != ${want.tensors.length}`;
      for (let k = 0; k < got.tensors.length; k++) {
        const [gn, ga] = got.tensors[k]!;
        const [wn, wa] = want.tensors[k]!;
        if (gn !== wn) return `tensor ${k} is named ${JSON.stringify(gn)}, expected ${JSON.stringify(wn)}`;
        const d = diffArrays(ga, wa, `tensor ${JSON.stringify(gn)}: `);
        if (d) return d;
      }
      return '';
    },
    8 * bytes.length + 4096,
  );
}

// =============================================================================================
// npy: reference reader (NEP 1; header tokenized independently of src/io/npy.ts)

type Py = { t: 'str'; v: string } | { t: 'int'; v: bigint } | { t: 'const'; v: boolean | null } | { t: 'tuple' | 'list'; v: Py[] } | { t: 'dict'; v: Array<[Py, Py]> };
type Tok = { k: 'p'; v: string } | { k: 's'; v: string } | { k: 'i'; v: bigint } | { k: 'n'; v: string };

function pyTokens(text: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const isWs = (c: string): boolean => c === ' ' || c === '\t' || c === '\f' || c === '\n' || c === '\r';
  const isDigit = (c: string | undefined): boolean => c !== undefined && c >= '0' && c <= '9';
  const isIdent = (c: string | undefined): boolean => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_' || isDigit(c));
  while (i < text.length) {
    const c = text[i]!;
    if (isWs(c)) { i++; continue; }
    if ('{}()[]:,'.includes(c)) { toks.push({ k: 'p', v: c }); i++; continue; }
    if (c === "'" || c === '"') {
      let j = i + 1;
      let s = '';
      while (j < text.length && text[j] !== c) {
        if (text[j] === '\\' || text[j] === '\n' || text[j] === '\r') reject('npy: escape or line break in a string');
        s += text[j];
        j++;
      }
      if (j >= text.length) reject('npy: unterminated string');
      toks.push({ k: 's', v: s });
      i = j + 1;
      continue;
    }
    if (c === '-' || isDigit(c)) {
      let j = c === '-' ? i + 1 : i;
      if (!isDigit(text[j])) reject('npy: bad number');
      while (isDigit(text[j])) j++;
      const v = BigInt(text.slice(i, j));
      if (text[j] === 'L') j++;
      if (isIdent(text[j])) reject('npy: junk after a number');
      toks.push({ k: 'i', v });
      i = j;
      continue;
    }
    if (isIdent(c) && !isDigit(c)) {
      let j = i;
      while (isIdent(text[j])) j++;
      toks.push({ k: 'n', v: text.slice(i, j) });
      i = j;
      continue;
    }
    reject(`npy: unexpected character ${JSON.stringify(c)}`);
  }
  return toks;
}

function pyParse(text: string): Py {
  const toks = pyTokens(text);
  let p = 0;
  const peek = (v: string): boolean => toks[p]?.k === 'p' && toks[p]!.v === v;
  const take = (v: string): void => {
    if (!peek(v)) reject(`npy: expected ${v}`);
    p++;
  };
  const value = (level: number): Py => {
    const t = toks[p];
    if (t === undefined) return reject('npy: unexpected end');
    if (t.k === 'p' && (t.v === '{' || t.v === '(' || t.v === '[')) {
      if (level > 32) reject('npy: nested too deep');
      p++;
      if (t.v === '{') {
        const pairs: Array<[Py, Py]> = [];
        while (!peek('}')) {
          const k = value(level + 1);
          if (k.t === 'dict' || k.t === 'tuple' || k.t === 'list') reject('npy: unhashable key');
          const id = k.t === 'str' ? `s:${k.v}` : k.t === 'int' ? `i:${k.v}` : `c:${String(k.v)}`;
          if (pairs.some(([q]) => (q.t === 'str' ? `s:${q.v}` : q.t === 'int' ? `i:${q.v}` : `c:${String((q as { v: unknown }).v)}`) === id)) reject('npy: duplicate key');
          take(':');
          pairs.push([k, value(level + 1)]);
          if (!peek('}')) take(',');
        }
        p++;
        return { t: 'dict', v: pairs };
      }
      const close = t.v === '(' ? ')' : ']';
      const items: Py[] = [];
      while (!peek(close)) {
        items.push(value(level + 1));
        if (!peek(close)) take(',');
      }
      p++;
      return { t: t.v === '(' ? 'tuple' : 'list', v: items };
    }
    p++;
    if (t.k === 's') return { t: 'str', v: t.v };
    if (t.k === 'i') return { t: 'int', v: t.v };
    if (t.k === 'n' && (t.v === 'True' || t.v === 'False' || t.v === 'None')) return { t: 'const', v: t.v === 'None' ? null : t.v === 'True' };
    return reject('npy: unexpected token');
  };
  const v = value(1);
  if (p !== toks.length) reject('npy: trailing tokens');
  return v;
}

/** Every descr the reader supports, spelled out: [dtype, element kind, little-endian]. */
const NPY_DESCRS: Record<string, [string, 'f4' | 'f8' | 'i4' | 'i8' | 'u1', boolean]> = {
  '<f4': ['float32', 'f4', true], '>f4': ['float32', 'f4', false],
  '<f8': ['float64', 'f8', true], '>f8': ['float64', 'f8', false],
  '<i4': ['int32', 'i4', true], '>i4': ['int32', 'i4', false],
  '<i8': ['int64', 'i8', true], '>i8': ['int64', 'i8', false],
  '|u1': ['uint8', 'u1', true], '<u1': ['uint8', 'u1', true], '>u1': ['uint8', 'u1', true], '=u1': ['uint8', 'u1', true], u1: ['uint8', 'u1', true],
};

/** Strict reading of an npy file. */
export function refNpy(bytes: Uint8Array): RefArray {
  const magic = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59];
  if (bytes.length < 8 || magic.some((b, k) => bytes[k] !== b)) reject('npy: bad magic');
  const major = bytes[6]!;
  if (bytes[7] !== 0 || ![1, 2, 3].includes(major)) reject('npy: bad version');
  const pre = major === 1 ? 10 : 12;
  if (bytes.length < pre) reject('npy: short preamble');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const hlen = major === 1 ? dv.getUint16(8, true) : dv.getUint32(8, true);
  if (pre + hlen > bytes.length) reject('npy: header past the end');
  const hb = bytes.subarray(pre, pre + hlen);
  let text = '';
  if (major === 3) {
    try { text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(hb); } catch { reject('npy: header not UTF-8'); }
  } else {
    for (const b of hb) text += String.fromCharCode(b);
  }
  const d = pyParse(text);
  if (d.t !== 'dict') return reject('npy: header not a dict');
  const keys = d.v.map(([k]) => (k.t === 'str' ? k.v : '\u0000'));
  if (keys.length !== 3 || !['descr', 'fortran_order', 'shape'].every((k) => keys.includes(k))) reject('npy: wrong keys');
  const get = (k: string): Py => d.v.find(([q]) => q.t === 'str' && q.v === k)![1];
  const descr = get('descr');
  const fortran = get('fortran_order');
  const shape = get('shape');
  if (descr.t !== 'str' || !Object.prototype.hasOwnProperty.call(NPY_DESCRS, descr.v)) return reject('npy: unsupported descr');
  if (fortran.t !== 'const' || typeof fortran.v !== 'boolean') return reject('npy: fortran_order not a bool');
  if (shape.t !== 'tuple' || !shape.v.every((x) => x.t === 'int' && x.v >= 0n && x.v <= BigInt(Number.MAX_SAFE_INTEGER))) return reject('npy: bad shape');
  const dims = shape.v.map((x) => Number((x as { v: bigint }).v));
  const [dtype, kind, little] = NPY_DESCRS[descr.v]!;
  const g = getter(kind, little);
  const count = bigProduct(dims);
  if (BigInt(bytes.length - pre - hlen) !== count * BigInt(g.size)) reject('npy: data length != shape');
  const flat = readElements(bytes.subarray(pre + hlen), Number(count), g.size, g.get);
  if (!fortran.v || dims.length < 2) return { dtype, shape: dims, values: flat };
  // Column-major → row-major: element at multi-index (i0..in) sits at sum(ik * prod(d0..d(k-1))).
  const values: Scalar[] = [];
  for (let c = 0; c < flat.length; c++) {
    let rest = c;
    let f = 0;
    let stride = 1;
    const idx: number[] = [];
    for (let k = dims.length - 1; k >= 0; k--) { idx[k] = rest % dims[k]!; rest = Math.floor(rest / dims[k]!); }
    for (let k = 0; k < dims.length; k++) { f += idx[k]! * stride; stride *= dims[k]!; }
    values.push(flat[f]!);
  }
  return { dtype, shape: dims, values };
}

// npy: generator --------------------------------------------------------------------------------

interface NpyModel {
  major: number;
  descr: string;
  fortran: string;
  shape: string;
  keys: Array<[string, string]>;
  quote: string;
  trailingComma: boolean;
  align: number;
  data: Uint8Array;
  hlenDelta: number;
  newline: boolean;
}

const NPY_GOOD = ['<f4', '<f8', '<i4', '<i8', '|u1', '>f4', '>f8', '>i4', '>i8', '<u1', 'u1'];
const NPY_BAD = ['<f2', '<u4', '<c8', '|b1', 'f8', '=i4', '|f8', '<i2', '<U3', 'O'];
const NPY_ITEM: Record<string, number> = { f4: 4, f8: 8, i4: 4, i8: 8, u1: 1, f2: 2, u4: 4, c8: 8, b1: 1, i2: 2, U3: 12, O: 8 };

function shapeRepr(shape: readonly (number | string)[], long: boolean): string {
  const items = shape.map((d) => `${d}${long && typeof d === 'number' ? 'L' : ''}`);
  return items.length === 1 ? `(${items[0]},)` : `(${items.join(', ')})`;
}

function genNpyModel(rng: Random): NpyModel {
  const descr = chance(rng, 0.93) ? pick(rng, NPY_GOOD) : pick(rng, NPY_BAD);
  const shape = randomShape(rng, 4);
  const kind = descr.replace(/^[<>|=]/, '');
  const bytes = product(shape) * (NPY_ITEM[kind] ?? 1);
  const long = chance(rng, 0.1);
  const keys: Array<[string, string]> = [['descr', ''], ['fortran_order', ''], ['shape', '']];
  if (chance(rng, 0.3)) keys.reverse();
  return {
    major: pick(rng, [1, 1, 1, 2, 3]),
    descr,
    fortran: chance(rng, 0.4) ? 'True' : 'False',
    shape: shapeRepr(shape, long),
    keys,
    quote: chance(rng, 0.8) ? "'" : '"',
    trailingComma: chance(rng, 0.7),
    align: pick(rng, [64, 64, 16, 1]),
    data: randomBytes(rng, bytes),
    hlenDelta: 0,
    newline: chance(rng, 0.9),
  };
}

function npyHeaderText(m: NpyModel): string {
  const q = m.quote;
  const val: Record<string, string> = { descr: `${q}${m.descr}${q}`, fortran_order: m.fortran, shape: m.shape };
  const items = m.keys.map(([k, v]) => `${q}${k}${q}: ${v || val[k] || 'None'}`);
  return `{${items.join(', ')}${m.trailingComma ? ', ' : ''}}`;
}

function npyBytes(m: NpyModel, dict = npyHeaderText(m)): Uint8Array {
  const pre = m.major === 1 ? 10 : 12;
  const enc = m.major === 3 ? utf8(dict) : Uint8Array.from(dict, (c) => c.charCodeAt(0) & 0xff);
  const total = Math.ceil((pre + enc.length + (m.newline ? 1 : 0)) / m.align) * m.align;
  const header = new Uint8Array(total - pre).fill(0x20);
  header.set(enc, 0);
  if (m.newline) header[header.length - 1] = 0x0a;
  const head = new Uint8Array(pre);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, m.major, 0]);
  const hlen = Math.max(0, header.length + m.hlenDelta);
  const dv = new DataView(head.buffer);
  if (m.major === 1) dv.setUint16(8, hlen & 0xffff, true);
  else dv.setUint32(8, hlen, true);
  return concatBytes(head, header, m.data);
}

function mutateNpyModel(rng: Random, m: NpyModel): void {
  switch (rng.int(9)) {
    case 0: { // shape edit
      const dims = (m.shape.match(/\d+/g) ?? []).map(Number);
      const r = rng.int(7);
      if (r === 0 && dims.length > 0) dims[rng.int(dims.length)] += chance(rng, 0.5) ? 1 : -1;
      else if (r === 1) dims.push(pick(rng, HUGE_COUNTS.filter((x) => x < 1e20)));
      else if (r === 2) dims.pop();
      else if (r === 3) { m.shape = pick(rng, ['(-1,)', '[2, 3]', '2', '(2.5,)', '(True,)', '((2,),)', '(-0,)', '(99999999999999999999,)', "('2',)", '(,)', '()']); return; }
      else if (r === 4) dims.push(0, pick(rng, HUGE_COUNTS.filter((x) => x < 1e20)));
      else if (r === 5) { m.shape = chance(rng, 0.5) ? `[${dims.join(', ')}]` : `(${dims.map((d) => (d === 0 ? '-0' : d)).join(', ')}${dims.length === 1 ? ',' : ''})`; return; }
      else dims.push(1 + rng.int(3));
      m.shape = shapeRepr(dims, chance(rng, 0.1));
      return;
    }
    case 1: m.descr = pick(rng, [...NPY_GOOD, ...NPY_BAD]); return;
    case 2: m.fortran = pick(rng, ['True', 'False', '0', '1', 'None', "'True'", 'true']); return;
    case 3: { // keys: drop, duplicate, add, rename
      const r = rng.int(4);
      if (r === 0) m.keys.splice(rng.int(m.keys.length), 1);
      else if (r === 1 && m.keys.length > 0) m.keys.push([...pick(rng, m.keys)]);
      else if (r === 2) m.keys.push([pick(rng, ['extra', 'descr ', 'Shape']), '1']);
      else if (m.keys.length > 0) m.keys[rng.int(m.keys.length)]![0] = pick(rng, ['descr', 'shape', 'fortran_order', 'sh\\ape', 'DESCR']);
      return;
    }
    case 4: m.major = pick(rng, [0, 1, 2, 3, 4]); return;
    case 5: m.hlenDelta = pick(rng, [-1, 1, -64, 64, 70000]); return;
    case 6: // data shortened or lengthened
      if (chance(rng, 0.5) && m.data.length > 0) m.data = m.data.subarray(0, rng.int(m.data.length));
      else m.data = concatBytes(m.data, randomBytes(rng, 1 + rng.int(8)));
      return;
    case 7: m.quote = pick(rng, ["'", '"', '`']); return;
    default: m.keys.push(['nest', '('.repeat(20 + rng.int(30)) + ')'.repeat(20 + rng.int(30))]);
  }
}

const NPY_TEXT_PALETTE = ['{', '}', '(', ')', '[', ']', "'", '"', ':', ',', ' ', '0', '1', '9', '-', 'L', 'True', 'None', '\\', '\n', '\u00a0', '\ufeff', 'é'];

function genNpyCase(rng: Random): Uint8Array {
  const m = genNpyModel(rng);
  const r = rng.uniform();
  if (r < 0.15) return npyBytes(m);
  if (r < 0.65) {
    for (let k = 0, n = 1 + rng.int(2); k < n; k++) mutateNpyModel(rng, m);
    return npyBytes(m);
  }
  if (r < 0.8) {
    let text = npyHeaderText(m);
    for (let k = 0, n = 1 + rng.int(2); k < n; k++) text = mutateText(rng, text, NPY_TEXT_PALETTE);
    return npyBytes(m, text);
  }
  const bytes = npyBytes(m);
  return mutateBytes(rng, bytes, bytes.length - m.data.length);
}

// =============================================================================================
// IDX: reference reader

const IDX_KINDS: Record<number, { dtype: string; kind: 'u1' | 'i1' | 'i2' | 'i4' | 'f4' | 'f8' }> = {
  0x08: { dtype: 'uint8', kind: 'u1' },
  0x09: { dtype: 'int32', kind: 'i1' },
  0x0b: { dtype: 'int32', kind: 'i2' },
  0x0c: { dtype: 'int32', kind: 'i4' },
  0x0d: { dtype: 'float32', kind: 'f4' },
  0x0e: { dtype: 'float64', kind: 'f8' },
};

/** Strict reading of uncompressed IDX bytes. */
export function refIdxPlain(bytes: Uint8Array): RefArray {
  if (bytes.length < 4 || bytes[0] !== 0 || bytes[1] !== 0) reject('idx: bad magic');
  const t = IDX_KINDS[bytes[2]!];
  if (t === undefined) return reject('idx: unknown type');
  const nd = bytes[3]!;
  if (bytes.length < 4 + 4 * nd) reject('idx: short header');
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dims: number[] = [];
  for (let k = 0; k < nd; k++) dims.push(dv.getUint32(4 + 4 * k, false));
  const g = getter(t.kind, false);
  const count = bigProduct(dims);
  if (BigInt(bytes.length - 4 - 4 * nd) !== count * BigInt(g.size)) reject('idx: data length != dimensions');
  return { dtype: t.dtype, shape: dims, values: readElements(bytes.subarray(4 + 4 * nd), Number(count), g.size, g.get) };
}

/** Strict reading of IDX bytes, gzip-compressed when they start with 1f 8b (inflated by zlib). */
export function refIdx(bytes: Uint8Array): RefArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    let plain: Uint8Array;
    try {
      plain = new Uint8Array(gunzipSync(bytes));
    } catch {
      return reject('idx: bad gzip');
    }
    return refIdxPlain(plain);
  }
  return refIdxPlain(bytes);
}

// IDX: generator ------------------------------------------------------------------------------

const IDX_SIZE: Record<number, number> = { 0x08: 1, 0x09: 1, 0x0b: 2, 0x0c: 4, 0x0d: 4, 0x0e: 8 };

function genIdxPlain(rng: Random): { bytes: Uint8Array; hot: number } {
  const code = pick(rng, [0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e]);
  const dims = chance(rng, 0.05) ? Array.from({ length: 4 + rng.int(3) }, () => 1 + rng.int(2)) : randomShape(rng);
  const head = new Uint8Array(4 + 4 * dims.length);
  head[2] = code;
  head[3] = dims.length;
  dims.forEach((d, k) => new DataView(head.buffer).setUint32(4 + 4 * k, d, false));
  return { bytes: concatBytes(head, randomBytes(rng, product(dims) * IDX_SIZE[code]!)), hot: head.length };
}

function mutateIdxHeader(rng: Random, bytes: Uint8Array, hot: number): Uint8Array {
  const out = bytes.slice();
  const dv = new DataView(out.buffer);
  const nd = hot > 4 ? (hot - 4) / 4 : 0;
  const r = rng.int(4);
  if (r === 0 && nd > 0) dv.setUint32(4 + 4 * rng.int(nd), pick(rng, [0, 1, 0xffffffff, 0x80000000, 0x10000, 3, 0x7fffffff]), false);
  else if (r === 1 && out.length > 3) out[3] = pick(rng, [0, 1, 2, 3, 255, out[3]! + 1, Math.max(0, out[3]! - 1)]);
  else if (r === 2 && out.length > 2) out[2] = pick(rng, [0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0x00]);
  else if (out.length > 1) out[rng.int(2)] = rng.int(256);
  return out;
}

function genIdxCase(rng: Random): Uint8Array {
  const { bytes, hot } = genIdxPlain(rng);
  const r = rng.uniform();
  if (r < 0.15) return bytes;
  if (r < 0.5) return mutateIdxHeader(rng, bytes, hot);
  let out = mutateBytes(rng, bytes, hot);
  if (chance(rng, 0.3)) out = mutateBytes(rng, out, hot);
  return out;
}

let zerosMember: Uint8Array | null = null;

function gz(bytes: Uint8Array, level: number): Uint8Array {
  const z = gzipSync(bytes, { level });
  return new Uint8Array(z.buffer, z.byteOffset, z.byteLength);
}

function genIdxGzCase(rng: Random): Uint8Array {
  const { bytes: plain0, hot } = genIdxPlain(rng);
  let plain = plain0;
  if (chance(rng, 0.3)) plain = mutateIdxHeader(rng, plain, hot);
  else if (chance(rng, 0.15)) plain = mutateBytes(rng, plain, hot);
  const level = 1 + rng.int(9);
  let file: Uint8Array;
  if (chance(rng, 0.2) && plain.length > 2) { // several gzip members
    const cut = 1 + rng.int(plain.length - 1);
    file = concatBytes(gz(plain.subarray(0, cut), level), gz(plain.subarray(cut), level));
  } else {
    file = gz(plain, level);
  }
  const r = rng.uniform();
  if (r < 0.4) return file;
  if (r < 0.5) { // an extra member that inflates to far more than declared
    zerosMember ??= gz(new Uint8Array(1 << 18), 9);
    const n = 1 + rng.int(6);
    return concatBytes(file, ...Array.from({ length: n }, () => zerosMember!));
  }
  if (r < 0.6) return concatBytes(file, gz(randomBytes(rng, 1 + rng.int(8)), level));
  return mutateBytes(rng, file, 10);
}

// =============================================================================================
// CSV: reference reader (a character state machine)

export interface RefCsv {
  header: string[] | null;
  rows: string[][];
  lines: number[];
  matrix: { values: number[]; shape: number[] } | 'reject';
}

/** Decimal syntax, checked character by character: [+-] (digits [. digits*] | . digits) [(e|E) [+-] digits]. */
function refDecimal(s: string): boolean {
  let i = 0;
  const digits = (): number => {
    const st = i;
    while (i < s.length && s[i]! >= '0' && s[i]! <= '9') i++;
    return i - st;
  };
  if (s[i] === '+' || s[i] === '-') i++;
  const intDigits = digits();
  let fracDigits = 0;
  if (s[i] === '.') {
    i++;
    fracDigits = digits();
  }
  if (intDigits === 0 && fracDigits === 0) return false;
  if (s[i] === 'e' || s[i] === 'E') {
    i++;
    if (s[i] === '+' || s[i] === '-') i++;
    if (digits() === 0) return false;
  }
  return i === s.length;
}

function stripSpaces(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && (s[a] === ' ' || s[a] === '\t')) a++;
  while (b > a && (s[b - 1] === ' ' || s[b - 1] === '\t')) b--;
  return s.slice(a, b);
}

export function refCsv(text: string, opts: { delimiter: string; header: boolean | 'auto'; skipLines: number }): RefCsv {
  const d = opts.delimiter;
  let s = text[0] === '\ufeff' ? text.slice(1) : text;
  for (let k = 0; k < opts.skipLines; k++) {
    let j = 0;
    while (j < s.length && s[j] !== '\n' && s[j] !== '\r') j++;
    if (j === s.length) { s = ''; break; }
    s = s.slice(j + (s[j] === '\r' && s[j + 1] === '\n' ? 2 : 1));
  }
  let line = opts.skipLines + 1;
  const records: string[][] = [];
  const lines: number[] = [];
  let i = 0;
  const n = s.length;
  const isBreak = (c: string | undefined): boolean => c === '\n' || c === '\r';
  while (i < n) {
    if (isBreak(s[i])) { // empty line
      i += s[i] === '\r' && s[i + 1] === '\n' ? 2 : 1;
      line++;
      continue;
    }
    const rec: string[] = [];
    const recLine = line;
    for (;;) { // one field per iteration
      let f = '';
      if (s[i] === '"') {
        i++;
        for (;;) {
          if (i >= n) reject('csv: unterminated quote');
          if (s[i] === '"' && s[i + 1] === '"') { f += '"'; i += 2; continue; }
          if (s[i] === '"') { i++; break; }
          if (s[i] === '\n' || (s[i] === '\r' && s[i + 1] !== '\n')) line++;
          f += s[i];
          i++;
        }
        if (i < n && s[i] !== d && !isBreak(s[i])) reject('csv: junk after a closing quote');
      } else {
        while (i < n && s[i] !== d && !isBreak(s[i])) f += s[i++];
      }
      if (f.includes('\ufeff')) reject('csv: stray BOM');
      rec.push(f);
      if (i < n && s[i] === d) { i++; continue; }
      break;
    }
    records.push(rec);
    lines.push(recLine);
    if (i < n) { // at a line break
      i += s[i] === '\r' && s[i + 1] === '\n' ? 2 : 1;
      line++;
    }
  }
  for (const r of records) if (r.length !== records[0]!.length) reject('csv: ragged');
  const numeric = (c: string): boolean => refDecimal(stripSpaces(c));
  const hasHeader = opts.header === 'auto'
    ? records.length >= 2 && records[0]!.some((c) => !numeric(c)) && records[1]!.every(numeric)
    : opts.header;
  if (hasHeader && records.length === 0) reject('csv: no header line');
  const header = hasHeader ? records[0]! : null;
  const rows = hasHeader ? records.slice(1) : records;
  const width = header?.length ?? rows[0]?.length ?? 0;
  let matrix: RefCsv['matrix'] = { values: [], shape: [rows.length, width] };
  for (const r of rows) {
    for (const c of r) {
      const v = numeric(c) ? Number(stripSpaces(c)) : NaN;
      if (!Number.isFinite(v)) { matrix = 'reject'; break; }
      (matrix as { values: number[] }).values.push(v);
    }
    if (matrix === 'reject') break;
  }
  return { header, rows, lines: hasHeader ? lines.slice(1) : lines, matrix };
}

// CSV: generator ------------------------------------------------------------------------------

const CSV_NUMBERS = ['0', '1', '-2', '+3', '1.5', '-0.25', '.5', '5.', '1e3', '-2E-2', '+1e+2', ' 4 ', '\t6', '1e308', '1e-999', '0007'];
const CSV_RARE = ['1e999', '-1E400', 'NaN', 'inf', 'x', '', '1,5', '0x10', '1e', '--1', '\u00a07', '7\ufeff'];
const CSV_PALETTE = ['0', '1', '9', '.', 'e', 'E', '-', '+', ',', ';', '\t', '"', '""', '\n', '\r', '\r\n', ' ', '\ufeff', '\u00a0', 'x', 'NaN', '9e999'];

export interface CsvCase { text: string; options: { delimiter: string; header: boolean | 'auto'; skipLines: number } }

function genCsvCase(rng: Random): CsvCase {
  const delimiter = pick(rng, [',', ',', ',', '\t', ';']);
  const eol = pick(rng, ['\n', '\n', '\r\n', '\r']);
  const cols = 1 + rng.int(4);
  const rows = rng.int(6);
  const quote = (c: string): string => (chance(rng, 0.15) ? `"${c.replace(/"/g, '""')}"` : c);
  const lines: string[] = [];
  if (chance(rng, 0.5)) lines.push(Array.from({ length: cols }, (_, j) => quote(pick(rng, ['a', 'b', 'col 1', 'x,y', 'say "hi"', `h${j}`]))).join(delimiter));
  for (let r = 0; r < rows; r++) {
    lines.push(Array.from({ length: cols }, () => quote(chance(rng, 0.97) ? pick(rng, CSV_NUMBERS) : pick(rng, CSV_RARE))).join(delimiter));
    if (chance(rng, 0.05)) lines.push('');
  }
  let text = (chance(rng, 0.15) ? '\ufeff' : '') + lines.join(eol) + (chance(rng, 0.5) ? eol : '');
  const options = {
    delimiter,
    header: pick(rng, ['auto', 'auto', true, false] as const),
    skipLines: chance(rng, 0.85) ? 0 : 1 + rng.int(2),
  };
  if (chance(rng, 0.8)) {
    for (let k = 0, m = 1 + rng.int(3); k < m; k++) {
      const r = rng.int(6);
      if (r <= 2) text = mutateText(rng, text, CSV_PALETTE);
      else if (r === 3) text = text.slice(0, rng.int(text.length + 1));
      else if (r === 4) text = pick(rng, ['\ufeff', '\ufeff\ufeff', '\n', '"']) + text;
      else text = text + pick(rng, ['\n', ',', '"', '\r', '\ufeff']);
    }
  }
  return { text, options };
}

function compareCsv(c: CsvCase): Outcome {
  const opts: CsvOptions = { ...c.options, source: 'fuzz.csv' };
  return compare(
    () => refCsv(c.text, c.options),
    () => {
      const t = parseCsv(c.text, opts);
      let matrix: RefCsv['matrix'];
      try {
        const m = csvToMatrix(t);
        matrix = { values: Array.from(m.data), shape: m.shape };
      } catch (err) {
        if (!(err instanceof CurvatureError)) throw err;
        matrix = 'reject';
      }
      return { header: t.header, rows: t.rows, lines: t.lines, matrix };
    },
    (got, want) => {
      for (const k of ['header', 'rows', 'lines'] as const) {
        if (JSON.stringify(got[k]) !== JSON.stringify(want[k])) return `${k}: ${JSON.stringify(got[k])} != ${JSON.stringify(want[k])}`;
      }
      if ((got.matrix === 'reject') !== (want.matrix === 'reject')) {
        return `csvToMatrix ${got.matrix === 'reject' ? 'rejected' : 'accepted'} a table the reference ${want.matrix === 'reject' ? 'rejects' : 'accepts'}`;
      }
      if (got.matrix !== 'reject' && want.matrix !== 'reject') {
        return diffArrays({ dtype: 'float64', shape: got.matrix.shape, values: got.matrix.values }, { dtype: 'float64', shape: want.matrix.shape, values: want.matrix.values }, 'matrix: ');
      }
      return '';
    },
    16 * 2 * c.text.length + 4096,
  );
}

// =============================================================================================
// Running

interface Outcome {
  /** 'accepted' | 'rejected' (agreeing), 'skipped' (reference undecided), or a failure kind. */
  result: 'accepted' | 'rejected' | 'skipped' | 'mismatch' | 'untyped-error' | 'data' | 'allocation' | 'reference-error';
  detail: string;
  growth: number;
}

function compare<T>(ref: () => T, reader: () => T, diff: (got: T, want: T) => string, allowedGrowth: number): Outcome {
  let want: T | undefined;
  let refWhy = '';
  try {
    want = ref();
  } catch (err) {
    if (err instanceof RefUndecided) return { result: 'skipped', detail: err.message, growth: 0 };
    if (!(err instanceof RefReject)) return { result: 'reference-error', detail: String((err as Error)?.stack ?? err), growth: 0 };
    refWhy = err.message;
  }
  const before = process.memoryUsage().arrayBuffers;
  let got: T | undefined;
  let error: unknown;
  try {
    got = reader();
  } catch (err) {
    error = err;
  }
  const growth = process.memoryUsage().arrayBuffers - before;
  if (growth > allowedGrowth) return { result: 'allocation', detail: `reader holds ${growth} bytes of ArrayBuffers after the call (allowed ${allowedGrowth})`, growth };
  if (error !== undefined) {
    if (!(error instanceof CurvatureError)) return { result: 'untyped-error', detail: String((error as Error)?.stack ?? error), growth };
    if (want !== undefined) return { result: 'mismatch', detail: `reader rejected a file the reference accepts: ${(error as Error).message}`, growth };
    return { result: 'rejected', detail: '', growth };
  }
  if (want === undefined) return { result: 'mismatch', detail: `reader accepted a file the reference rejects (${refWhy})`, growth };
  const d = diff(got as T, want);
  return d ? { result: 'data', detail: d, growth } : { result: 'accepted', detail: '', growth };
}

/** The generated input of case `index` of a run with `seed`. */
export function fuzzInput(format: FuzzFormat, seed: number, index: number): Uint8Array | CsvCase {
  const rng = new Random((Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b) ^ FUZZ_FORMATS.indexOf(format)) >>> 0);
  switch (format) {
    case 'safetensors': return genSafetensorsCase(rng);
    case 'npy': return genNpyCase(rng);
    case 'idx': return genIdxCase(rng);
    case 'idx.gz': return genIdxGzCase(rng);
    case 'csv': return genCsvCase(rng);
  }
}

/** Check one input (as produced by fuzzInput). */
export function fuzzCheck(format: FuzzFormat, input: Uint8Array | CsvCase): Outcome {
  switch (format) {
    case 'safetensors': return compareSafetensors(input as Uint8Array);
    case 'npy': {
      const bytes = input as Uint8Array;
      return compare(() => refNpy(bytes), () => fromRaw(decodeNpy(bytes)), (g, w) => diffArrays(g, w), 8 * bytes.length + 4096);
    }
    case 'idx':
    case 'idx.gz': {
      const bytes = input as Uint8Array;
      // For gzip the bound is on what the data inflates to (the reader inflates at most 1 MiB
      // before reading the header, then no further than the header declares).
      let inflated = bytes.length;
      if (format === 'idx.gz') { try { inflated = gunzipSync(bytes).length; } catch { /* corrupt: bound by input */ } }
      const allowed = format === 'idx' ? 8 * bytes.length + 4096 : 4 * Math.min(inflated, 1 << 20) + 16 * bytes.length + (4 << 20);
      return compare(() => refIdx(bytes), () => fromRaw(decodeIdx(bytes)), (g, w) => diffArrays(g, w), allowed);
    }
    case 'csv': return compareCsv(input as CsvCase);
  }
}

export interface FuzzFailure {
  format: FuzzFormat;
  seed: number;
  index: number;
  kind: Outcome['result'];
  detail: string;
  input: Uint8Array | CsvCase;
}

export interface FuzzStats {
  format: FuzzFormat;
  seed: number;
  cases: number;
  accepted: number;
  rejected: number;
  skipped: number;
  failures: FuzzFailure[];
  /** Failures beyond those kept in `failures`. */
  moreFailures: number;
  /** Number of failing cases by kind (mismatch, data, untyped-error, allocation, reference-error). */
  kinds: Record<string, number>;
  maxGrowth: number;
  ms: number;
}

/** Run `count` cases of one format from `seed` (cases `start`, `start + 1`, ...). */
export function fuzzFormat(format: FuzzFormat, options: { seed: number; count: number; start?: number; keep?: number }): FuzzStats {
  const { seed, count, start = 0, keep = 10 } = options;
  const stats: FuzzStats = { format, seed, cases: 0, accepted: 0, rejected: 0, skipped: 0, failures: [], moreFailures: 0, kinds: {}, maxGrowth: 0, ms: 0 };
  const t0 = performance.now();
  for (let index = start; index < start + count; index++) {
    const input = fuzzInput(format, seed, index);
    const o = fuzzCheck(format, input);
    stats.cases++;
    stats.maxGrowth = Math.max(stats.maxGrowth, o.growth);
    if (o.result === 'accepted') stats.accepted++;
    else if (o.result === 'rejected') stats.rejected++;
    else if (o.result === 'skipped') stats.skipped++;
    else stats.kinds[o.result] = (stats.kinds[o.result] ?? 0) + 1;
    if (o.result === 'accepted' || o.result === 'rejected' || o.result === 'skipped') continue;
    if (stats.failures.length < keep) stats.failures.push({ format, seed, index, kind: o.result, detail: o.detail, input });
    else stats.moreFailures++;
  }
  stats.ms = performance.now() - t0;
  return stats;
}

/** A readable account of a failure: the case, what went wrong, and the input (base64 or CSV text). */
export function describeFailure(f: FuzzFailure): string {
  const input = f.input instanceof Uint8Array
    ? `base64 ${Buffer.from(f.input).toString('base64').slice(0, 2000)}`
    : `csv ${JSON.stringify(f.input.text).slice(0, 2000)} options ${JSON.stringify(f.input.options)}`;
  return `${f.format} seed ${f.seed} case ${f.index}: ${f.kind}: ${f.detail.split('\n').slice(0, 6).join('\n')}\n  input: ${input}`;
}
