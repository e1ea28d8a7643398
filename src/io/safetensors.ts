/**
 * safetensors reader and writer (format of https://github.com/huggingface/safetensors, README
 * section "Format"):
 *
 * ```
 * [ 8 bytes ]  N: header length, unsigned 64-bit little-endian
 * [ N bytes ]  header: UTF-8 JSON object, starts with '{', may be right-padded with spaces (0x20)
 * [ rest    ]  byte buffer holding every tensor's little-endian, C-ordered elements
 * ```
 *
 * The header maps each tensor name to `{"dtype": "F32", "shape": [2, 3], "data_offsets": [b, e]}`
 * where `[b, e)` is a byte range relative to the start of the byte buffer, and may hold the
 * special key `"__metadata__"`: a string-to-string map. The spec requires the tensors to cover
 * the byte buffer exactly (no holes, no overlaps) and forbids duplicate keys; this reader enforces
 * both (duplicates in any object of the header), and checks `e - b === product(shape) * itemsize`
 * for every tensor. Every check runs before any tensor is copied, so a malformed file never makes
 * the reader allocate more than the file's size.
 *
 * Supported dtypes: F32, F64, I64, I32, U8 (→ float32, float64, int64, int32, uint8). Others
 * (F16, BF16, BOOL, I8, ...) are rejected with an InputError naming the tensor.
 *
 * Tensor data is always copied into freshly allocated typed arrays, so unaligned data offsets
 * (legal in the format) are handled and results never alias the input bytes.
 */
import { InputError } from '../errors.js';
import {
  type RawArray, type RawDType, assertRawArray, decodeData, describeValue, encodeData, itemSize, numel,
} from './array.js';
import { type ByteSource, readBytes, sourceName } from './source.js';
import { writeFileAtomic } from './temp-files.js';

/** What `readSafetensors` returns. `tensors` iterates in header order. */
export interface SafetensorsFile {
  tensors: Map<string, RawArray>;
  metadata: Record<string, string>;
}

const FILE_DTYPE_TO_RAW: Record<string, RawDType> = { F32: 'float32', F64: 'float64', I64: 'int64', I32: 'int32', U8: 'uint8' };
const RAW_TO_FILE_DTYPE: Record<RawDType, string> = { float32: 'F32', float64: 'F64', int64: 'I64', int32: 'I32', uint8: 'U8' };
/** All dtypes the safetensors spec defines, to tell "valid but unsupported" from "garbage". */
const KNOWN_UNSUPPORTED = ['BOOL', 'I8', 'U16', 'I16', 'F16', 'BF16', 'U32', 'U64', 'F8_E5M2', 'F8_E4M3'];

const METADATA_KEY = '__metadata__';

/** Read a safetensors file (path) or buffer. Every malformed input throws InputError. */
export function readSafetensors(source: ByteSource): SafetensorsFile {
  const name = sourceName(source);
  const bytes = readBytes(source, 'safetensors file');
  const fail = (msg: string): never => {
    throw new InputError(`safetensors ${name}: ${msg}`);
  };

  if (bytes.length < 8) fail(`expected at least 8 bytes (header length), got ${bytes.length} (truncated file?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen64 = view.getBigUint64(0, true);
  if (headerLen64 > BigInt(bytes.length - 8)) {
    fail(`header length ${headerLen64} runs past the end of the file (${bytes.length - 8} bytes after the length field; truncated file or not safetensors?)`);
  }
  const headerLen = Number(headerLen64);
  if (headerLen < 2) fail(`expected a JSON object header, got a header of length ${headerLen}`);
  let headerText: string;
  try {
    // ignoreBOM: a byte-order mark is kept, so that a header starting with one fails the '{' check.
    headerText = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, 8 + headerLen));
  } catch {
    return fail('header is not valid UTF-8');
  }
  if (headerText[0] !== '{') fail(`expected the header to start with '{', got ${describeValue(headerText.slice(0, 20))}`);
  let header: unknown;
  try {
    header = JSON.parse(headerText);
  } catch (err) {
    return fail(`header is not valid JSON (${(err as Error).message})`);
  }
  if (header === null || typeof header !== 'object' || Array.isArray(header)) fail('expected the header to be a JSON object');
  const entries = header as Record<string, unknown>;
  const order = topLevelKeys(headerText, fail);

  const bufferStart = 8 + headerLen;
  const bufferLen = bytes.length - bufferStart;
  const metadata: Record<string, string> = {};
  interface Planned { key: string; dtype: RawDType; shape: number[]; count: number; begin: number; end: number }
  const planned: Planned[] = [];

  // First pass: validate every entry (dtype, shape, offsets within the buffer, byte length equal to
  // dtype × shape) without copying anything, so that a hostile header cannot make the reader
  // allocate more than the file holds.
  for (const key of order) {
    const entry = entries[key];
    if (key === METADATA_KEY) {
      if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) fail(`expected "${METADATA_KEY}" to be an object of strings, got ${describeValue(entry)}`);
      for (const [k, v] of Object.entries(entry as Record<string, unknown>)) {
        if (typeof v !== 'string') fail(`expected "${METADATA_KEY}"."${k}" to be a string, got ${describeValue(v)}`);
        Object.defineProperty(metadata, k, { value: v, enumerable: true, writable: true, configurable: true });
      }
      continue;
    }
    const where = `tensor ${describeValue(key)}`;
    if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) fail(`${where}: expected {dtype, shape, data_offsets}, got ${describeValue(entry)}`);
    const info = entry as Record<string, unknown>;

    const fileDType = Object.hasOwn(info, 'dtype') ? info['dtype'] : undefined;
    if (typeof fileDType !== 'string') fail(`${where}: expected a string "dtype", got ${describeValue(fileDType)}`);
    const dtype = Object.hasOwn(FILE_DTYPE_TO_RAW, fileDType as string) ? FILE_DTYPE_TO_RAW[fileDType as string] : undefined;
    if (dtype === undefined) {
      const kind = KNOWN_UNSUPPORTED.includes(fileDType as string) ? 'unsupported' : 'unknown';
      fail(`${where}: ${kind} dtype ${describeValue(fileDType)} (supported: ${Object.keys(FILE_DTYPE_TO_RAW).join(', ')})`);
    }

    const shape = Object.hasOwn(info, 'shape') ? info['shape'] : undefined;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      fail(`${where}: expected "shape" to be an array of non-negative integers, got ${describeValue(shape)}`);
    }
    const offsets = Object.hasOwn(info, 'data_offsets') ? info['data_offsets'] : undefined;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      fail(`${where}: expected "data_offsets" to be [begin, end] non-negative integers, got ${describeValue(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (begin > end) fail(`${where}: data_offsets [${begin}, ${end}] has begin > end`);
    if (end > bufferLen) fail(`${where}: data_offsets [${begin}, ${end}] run past the ${bufferLen}-byte data buffer (truncated file?)`);
    let count: number;
    try {
      count = numel(shape as number[]);
    } catch {
      return fail(`${where}: shape ${describeValue(shape)} has more elements than can be indexed (it would need more bytes than the ${bufferLen}-byte data buffer)`);
    }
    const expectedBytes = count * itemSize(dtype!);
    if (end - begin !== expectedBytes) {
      fail(`${where}: shape [${(shape as number[]).join(', ')}] of ${fileDType} needs ${expectedBytes} bytes, data_offsets [${begin}, ${end}] span ${end - begin}`);
    }
    planned.push({ key, dtype: dtype!, shape: (shape as number[]).map((d) => d + 0), count, begin, end }); // d + 0: -0 → 0
  }

  // The spec: the byte buffer must be entirely indexed, with no holes and no overlaps.
  const ranges = [...planned].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let cursor = 0;
  for (const r of ranges) {
    if (r.begin < cursor) fail(`tensor ${describeValue(r.key)}: data_offsets [${r.begin}, ${r.end}] overlap the previous tensor (which ends at ${cursor})`);
    if (r.begin > cursor) fail(`tensor ${describeValue(r.key)}: data_offsets start at ${r.begin} but the previous tensor ends at ${cursor} (holes are not allowed)`);
    cursor = r.end;
  }
  if (cursor !== bufferLen) fail(`tensors cover ${cursor} bytes of data but the data buffer has ${bufferLen} (trailing bytes are not allowed)`);

  // Only now copy: the ranges tile the buffer, so the copies add up to at most the file size.
  const tensors = new Map<string, RawArray>();
  for (const t of planned) {
    const data = decodeData(bytes.subarray(bufferStart + t.begin, bufferStart + t.end), t.dtype, t.count, true);
    tensors.set(t.key, { data, shape: t.shape, dtype: t.dtype });
  }
  return { tensors, metadata };
}

/** Serialize tensors (in iteration order) and optional string metadata to safetensors bytes. */
export function encodeSafetensors(
  tensors: Map<string, RawArray> | Record<string, RawArray>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  // The header is assembled entry by entry: JSON.stringify of one object would move integer-like
  // tensor names ("0", "10") ahead of the others.
  const entries: string[] = [];
  if (metadata !== undefined) {
    if (metadata === null || typeof metadata !== 'object') throw new InputError(`expected metadata to be a string map, got ${describeValue(metadata)}`);
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new InputError(`expected metadata["${k}"] to be a string, got ${describeValue(v)}`);
    }
    if (Object.keys(metadata).length > 0) entries.push(`${JSON.stringify(METADATA_KEY)}:${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  const chunks: Uint8Array[] = [];
  for (const [key, raw] of list) {
    if (key === METADATA_KEY) throw new InputError(`tensor name "${METADATA_KEY}" is reserved for metadata`);
    if (typeof key !== 'string' || key.length === 0) throw new InputError(`expected non-empty tensor names, got ${describeValue(key)}`);
    assertRawArray(raw, `tensor "${key}"`);
    const bytes = encodeData(raw.data, true);
    const info = { dtype: RAW_TO_FILE_DTYPE[raw.dtype], shape: [...raw.shape], data_offsets: [offset, offset + bytes.length] };
    entries.push(`${JSON.stringify(key)}:${JSON.stringify(info)}`);
    offset += bytes.length;
    chunks.push(bytes);
  }
  const json = new TextEncoder().encode(`{${entries.join(',')}}`);
  const headerLen = Math.ceil(json.length / 8) * 8; // pad with spaces so the data starts 8-aligned
  const out = new Uint8Array(8 + headerLen + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLen), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLen);
  let pos = 8 + headerLen;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

/**
 * Write a safetensors file. Tensors are laid out contiguously in iteration order (for a plain
 * object that is JS property order, which puts integer-like names first: use a Map to control it).
 */
export function writeSafetensors(
  path: string,
  tensors: Map<string, RawArray> | Record<string, RawArray>,
  metadata?: Record<string, string>,
): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata), 'safetensors file');
}

/**
 * The keys of the top-level JSON object in source order, rejecting duplicate keys in every object
 * of the header (the spec forbids them; `JSON.parse` alone would silently keep the last one, and
 * would move integer-like keys ("0", "1") first). Iterative, so deep nesting cannot overflow the
 * stack. `text` must already be known to be valid JSON whose top level is an object.
 */
function topLevelKeys(text: string, fail: (msg: string) => never): string[] {
  const keys: string[] = [];
  // One entry per open bracket: the keys seen so far for an object, null for an array.
  const stack: Array<Set<string> | null> = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === '"') {
      const start = i;
      i++;
      while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
      i++;
      const seen = stack[stack.length - 1];
      if (seen) {
        let j = i;
        while (j < text.length && (text[j] === ' ' || text[j] === '\t' || text[j] === '\n' || text[j] === '\r')) j++;
        if (text[j] === ':') {
          const key = JSON.parse(text.slice(start, i)) as string;
          if (seen.has(key)) {
            fail(stack.length === 1 ? `duplicate key ${describeValue(key)} in header` : `duplicate key ${describeValue(key)} in a header object`);
          }
          seen.add(key);
          if (stack.length === 1) keys.push(key);
        }
      }
      continue;
    }
    if (c === '{') stack.push(new Set());
    else if (c === '[') stack.push(null);
    else if (c === '}' || c === ']') stack.pop();
    i++;
  }
  return keys;
}
