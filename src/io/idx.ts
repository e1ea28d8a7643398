/**
 * IDX reader/writer: the format of the MNIST and Fashion-MNIST files (Y. LeCun, C. Cortes,
 * C. Burges, "The MNIST database of handwritten digits", section "File formats"):
 *
 * ```
 * bytes 0-1   0x00 0x00
 * byte  2     element type: 0x08 ubyte, 0x09 signed byte, 0x0B short (2 bytes), 0x0C int (4),
 *             0x0D float (4), 0x0E double (8)
 * byte  3     number of dimensions d
 * then        d dimension sizes, each a big-endian uint32
 * then        product(sizes) elements, big-endian, C order (last index fastest)
 * ```
 *
 * The file may be gzip-compressed (as distributed: `train-images-idx3-ubyte.gz`); compression is
 * detected from the gzip magic bytes 1f 8b, not from the file name.
 *
 * Element types map to RawArray dtypes as: ubyte → uint8, int → int32, float → float32,
 * double → float64; signed byte and short are widened to int32 (RawArray has no int8/int16).
 * The reader insists that the data is exactly as long as the dimensions say. For gzip input it
 * stops inflating at the size the header declares (and rejects declared sizes beyond what a Buffer
 * can hold before inflating anything large), so a small file that inflates to gigabytes costs a
 * bounded amount of memory and time.
 */
import { InputError } from '../errors.js';
import { type RawArray, type RawDType, assertRawArray, decodeData, encodeData } from './array.js';
import { type ByteSource, nodeFs, readBytes, sourceName } from './source.js';
import { writeFileAtomic } from './temp-files.js';

interface IdxType { name: string; size: number; read: RawDType }
const IDX_TYPES: Record<number, IdxType> = {
  0x08: { name: 'unsigned byte', size: 1, read: 'uint8' },
  0x09: { name: 'signed byte', size: 1, read: 'int32' },
  0x0b: { name: 'short', size: 2, read: 'int32' },
  0x0c: { name: 'int', size: 4, read: 'int32' },
  0x0d: { name: 'float', size: 4, read: 'float32' },
  0x0e: { name: 'double', size: 8, read: 'float64' },
};
const WRITE_CODE: Partial<Record<RawDType, number>> = { uint8: 0x08, int32: 0x0c, float32: 0x0d, float64: 0x0e };

/** True when `bytes` starts with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/** Read an IDX file (plain or gzip-compressed) from a path or bytes. */
export function readIdx(source: ByteSource): RawArray {
  return decodeIdx(readBytes(source, 'IDX file'), sourceName(source));
}

/** Parse IDX bytes (plain or gzip-compressed). `name` only labels error messages. */
export function decodeIdx(input: Uint8Array, name = sourceName(input)): RawArray {
  const fail = (msg: string): never => {
    throw new InputError(`IDX ${name}: ${msg}`);
  };
  const bytes = isGzip(input) ? inflateIdx(input, fail) : input;
  const { type, shape, count, dataStart, byteLength } = parseIdxHeader(bytes, fail);
  const actual = bytes.length - dataStart;
  const expected = byteLength - dataStart;
  if (actual !== expected) {
    fail(`dimensions [${shape.join(', ')}] of ${type.name} need ${expected} data bytes, ${isGzip(input) ? 'the gzip data holds' : 'file has'} ${actual}${actual < expected ? ' (truncated file?)' : ' (trailing bytes)'}`);
  }
  const body = bytes.subarray(dataStart);
  let data: RawArray['data'];
  if (type.code === 0x09) {
    data = Int32Array.from(new Int8Array(body.buffer, body.byteOffset, body.byteLength));
  } else if (type.code === 0x0b) {
    const out = new Int32Array(count);
    const dv = new DataView(body.buffer, body.byteOffset, body.byteLength);
    for (let i = 0; i < count; i++) out[i] = dv.getInt16(2 * i, false);
    data = out;
  } else {
    data = decodeData(body, type.read, count, false);
  }
  return { data, shape, dtype: type.read };
}

interface IdxHeader {
  type: IdxType & { code: number };
  shape: number[];
  count: number;
  /** Offset of the first element. */
  dataStart: number;
  /** The whole (uncompressed) file's length as the header declares it: dataStart + count * size. */
  byteLength: number;
}

/** Parse the magic and dimensions at the start of uncompressed IDX bytes (the data may be absent). */
function parseIdxHeader(bytes: Uint8Array, fail: (msg: string) => never): IdxHeader {
  if (bytes.length < 4) fail(`expected at least a 4-byte magic number, got ${bytes.length} bytes (truncated file?)`);
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(`expected magic number starting with 00 00, got ${hex(bytes.subarray(0, 4))} (not an IDX file)`);
  }
  const code = bytes[2]!;
  const type = IDX_TYPES[code];
  if (type === undefined) {
    return fail(`unknown element type 0x${code.toString(16).padStart(2, '0')} in magic ${hex(bytes.subarray(0, 4))} (expected 08, 09, 0b, 0c, 0d or 0e)`);
  }
  const ndim = bytes[3]!;
  const dataStart = 4 + 4 * ndim;
  if (bytes.length < dataStart) fail(`expected ${ndim} dimension sizes (${dataStart} header bytes), got ${bytes.length} bytes (truncated file?)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const shape: number[] = [];
  for (let k = 0; k < ndim; k++) shape.push(view.getUint32(4 + 4 * k, false));
  // The product may exceed 2^53 (255 dimensions of up to 2^32 - 1): compare as a float, which is
  // exact below 2^53 and far beyond any readable size above it.
  let count = 1;
  for (const d of shape) count *= d;
  return { type: { ...type, code }, shape, count, dataStart, byteLength: dataStart + count * type.size };
}

/** Largest uncompressed IDX file the reader will inflate (Node's Buffer limit). */
// Read when needed, not at module load: a browser bundle must not evaluate a node: import it never uses.
const maxInflated = (): number => nodeFs('inflate', 'gzip data').buffer.constants.MAX_LENGTH;
const zlib = (): typeof import('node:zlib') => nodeFs('inflate or deflate', 'gzip data').zlib;
/** Inflated sizes up to this are decoded in one call without first reading the header. */
const SMALL_INFLATE = 1 << 20;
const TOO_LARGE = Symbol('too large');

/**
 * Inflate gzip-compressed IDX bytes, never producing more than the header declares (plus at most
 * SMALL_INFLATE bytes): a small file whose data inflates to far more than its header says (a
 * "zip bomb") is rejected after a bounded amount of work.
 */
function inflateIdx(input: Uint8Array, fail: (msg: string) => never): Uint8Array {
  const small = gunzipAtMost(input, SMALL_INFLATE, false, fail);
  if (small !== TOO_LARGE) return small; // the caller compares its length with the header's

  // More than SMALL_INFLATE bytes: inflate a prefix of the compressed bytes that holds the whole
  // header but inflates to at most SMALL_INFLATE bytes. Prefixes of 64, 256, 1024, ... bytes
  // (usually the first suffices), then bisection if one of them inflates to too much.
  const headerDone = (part: Uint8Array): boolean => part.length >= 4 && part.length >= 4 + 4 * part[3]!;
  let lo = 0;
  let hi = input.length;
  let head: Uint8Array | null = null;
  for (let p = 64; head === null; p *= 4) {
    const end = Math.min(p, input.length);
    const part = gunzipAtMost(input.subarray(0, end), SMALL_INFLATE, true, fail);
    if (part === TOO_LARGE) { hi = end; break; }
    if (headerDone(part)) head = part;
    else if (end === input.length) break;
    else lo = end;
  }
  while (head === null && hi - lo > 1) {
    const mid = lo + Math.floor((hi - lo) / 2);
    const part = gunzipAtMost(input.subarray(0, mid), SMALL_INFLATE, true, fail);
    if (part === TOO_LARGE) hi = mid;
    else if (headerDone(part)) head = part;
    else lo = mid;
  }
  if (head === null) {
    // Cannot happen for zlib (one compressed byte inflates to at most a few kilobytes); say so plainly.
    return fail(`gzip data inflates to more than ${SMALL_INFLATE} bytes but its IDX header could not be isolated`);
  }
  const { shape, type, byteLength } = parseIdxHeader(head, fail);
  const MAX_INFLATED = maxInflated();
  if (byteLength > MAX_INFLATED) {
    fail(`the header declares dimensions [${shape.join(', ')}] of ${type.name}, ${byteLength} bytes in all, ` +
      `which exceeds the ${MAX_INFLATED} bytes that can be read into memory`);
  }
  const all = gunzipAtMost(input, byteLength, false, fail);
  if (all === TOO_LARGE) {
    fail(`gzip data inflates to more than the ${byteLength} bytes that the header declares (dimensions [${shape.join(', ')}] of ${type.name}); ` +
      'stopped inflating there (corrupt file or a decompression bomb?)');
  }
  return all as Uint8Array;
}

/**
 * gunzip `input`, giving up (TOO_LARGE) as soon as the output exceeds `limit` bytes. `partial`:
 * `input` is a prefix of the gzip data, so its end is not an error.
 */
function gunzipAtMost(input: Uint8Array, limit: number, partial: boolean, fail: (msg: string) => never): Uint8Array | typeof TOO_LARGE {
  try {
    const out = zlib().gunzipSync(input, {
      maxOutputLength: Math.max(1, limit),
      ...(partial ? { finishFlush: zlib().constants.Z_SYNC_FLUSH } : {}),
    });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return TOO_LARGE;
    return fail(`gzip data is corrupt or truncated (${(err as Error).message})`);
  }
}

/**
 * Serialize to IDX (uint8 → ubyte, int32 → int, float32 → float, float64 → double), gzip-compressed
 * when `gzip` is set (level 9, no timestamp: the output is deterministic).
 */
export function encodeIdx(raw: RawArray, options: { gzip?: boolean } = {}): Uint8Array {
  assertRawArray(raw, 'IDX array');
  const code = WRITE_CODE[raw.dtype];
  if (code === undefined) throw new InputError(`IDX cannot store dtype '${raw.dtype}' (expected uint8, int32, float32 or float64)`);
  if (raw.shape.length > 255) throw new InputError(`IDX stores at most 255 dimensions, got ${raw.shape.length}`);
  const head = new Uint8Array(4 + 4 * raw.shape.length);
  head[2] = code;
  head[3] = raw.shape.length;
  const dv = new DataView(head.buffer);
  raw.shape.forEach((d, k) => {
    if (d > 0xffffffff) throw new InputError(`IDX dimension sizes must fit in uint32, got ${d}`);
    dv.setUint32(4 + 4 * k, d, false);
  });
  const body = encodeData(raw.data, false);
  const out = new Uint8Array(head.length + body.length);
  out.set(head, 0);
  out.set(body, head.length);
  if (!options.gzip) return out;
  const z = zlib().gzipSync(out, { level: 9 });
  return new Uint8Array(z.buffer, z.byteOffset, z.byteLength);
}

/** Write an IDX file; gzip-compressed when the path ends in `.gz`. */
export function writeIdx(path: string, raw: RawArray): void {
  writeFileAtomic(path, encodeIdx(raw, { gzip: path.endsWith('.gz') }), 'IDX file');
}

function hex(bytes: Uint8Array): string {
  return [...bytes].map((b) => b.toString(16).padStart(2, '0')).join(' ');
}
