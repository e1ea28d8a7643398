import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { gzipSync as nodeGzip } from 'node:zlib';
import type { RawArray } from '../../src/io/array.js';
import { concat } from './helpers.js';
import { decodeIdx, encodeIdx, isGzip, readIdx, writeIdx } from '../../src/io/idx.js';
import { InputError } from '../../src/errors.js';
import { MiB, arrayBufferGrowth, tempDir, throwsInput } from './helpers.js';

/** gzip as a plain Uint8Array. */
function gzipSync(bytes: Uint8Array): Uint8Array {
  const z = nodeGzip(bytes);
  return new Uint8Array(z.buffer, z.byteOffset, z.byteLength);
}

const SAMPLES: RawArray[] = [
  { data: new Uint8Array([0, 17, 255, 3, 4, 5]), shape: [2, 3], dtype: 'uint8' },
  { data: new Int32Array([-5, 2147483647, 0]), shape: [3], dtype: 'int32' },
  { data: new Float32Array([0.5, -1.25]), shape: [1, 2], dtype: 'float32' },
  { data: new Float64Array([Math.PI, -1e-300]), shape: [2, 1, 1], dtype: 'float64' },
  { data: new Uint8Array(0), shape: [0, 28, 28], dtype: 'uint8' },
];

test('round trip: every writable dtype, plain and gzip, through files', () => {
  const { dir, cleanup } = tempDir();
  try {
    SAMPLES.forEach((raw, k) => {
      for (const ext of ['', '.gz']) {
        const path = join(dir, `s${k}-idx${ext}`);
        writeIdx(path, raw);
        const back = readIdx(path);
        assert.is(back.dtype, raw.dtype);
        assert.equal(back.shape, raw.shape);
        assert.equal(Array.from(back.data as ArrayLike<number>), Array.from(raw.data as ArrayLike<number>));
      }
    });
  } finally {
    cleanup();
  }
});

test('known bytes: big-endian header and data, gzip detected by magic', () => {
  // 2 x 2 unsigned bytes, MNIST-style magic 0x00000803 would be 3-D; this is 0x00000802.
  const bytes = new Uint8Array([0, 0, 0x08, 2, 0, 0, 0, 2, 0, 0, 0, 2, 1, 2, 3, 4]);
  const r = decodeIdx(bytes);
  assert.equal(r.shape, [2, 2]);
  assert.equal(Array.from(r.data as Uint8Array), [1, 2, 3, 4]);
  const gz = gzipSync(bytes);
  assert.ok(isGzip(gz) && !isGzip(bytes));
  assert.equal(Array.from(decodeIdx(gz).data as Uint8Array), [1, 2, 3, 4]);
  assert.equal(Array.from(encodeIdx(r)), Array.from(bytes));
  // int: 0x0C, value 258 big-endian.
  const i = decodeIdx(new Uint8Array([0, 0, 0x0c, 1, 0, 0, 0, 1, 0, 0, 1, 2]));
  assert.equal([i.dtype, Array.from(i.data as Int32Array)], ['int32', [258]]);
  // double: 0x0E, 1.0 big-endian.
  const d = decodeIdx(new Uint8Array([0, 0, 0x0e, 1, 0, 0, 0, 1, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0]));
  assert.equal([d.dtype, Array.from(d.data as Float64Array)], ['float64', [1]]);
});

test('signed byte and short are widened to int32', () => {
  const sb = decodeIdx(new Uint8Array([0, 0, 0x09, 1, 0, 0, 0, 3, 0xff, 0x80, 0x7f]));
  assert.is(sb.dtype, 'int32');
  assert.equal(Array.from(sb.data as Int32Array), [-1, -128, 127]);
  const sh = decodeIdx(new Uint8Array([0, 0, 0x0b, 1, 0, 0, 0, 2, 0xff, 0xfe, 0x01, 0x00]));
  assert.equal(Array.from(sh.data as Int32Array), [-2, 256]);
});

test('bad input: wrong magic, unknown type', () => {
  throwsInput(() => decodeIdx(new Uint8Array([1, 0, 0x08, 1, 0, 0, 0, 0])), 'magic', '01 00 08 01', 'not an IDX file');
  throwsInput(() => decodeIdx(new Uint8Array([0, 0, 0x07, 1, 0, 0, 0, 0])), 'unknown element type 0x07');
  throwsInput(() => decodeIdx(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0])), 'magic');
});

test('bad input: truncated header, truncated data, trailing bytes', () => {
  throwsInput(() => decodeIdx(new Uint8Array([0, 0])), '4-byte magic', 'truncated');
  throwsInput(() => decodeIdx(new Uint8Array([0, 0, 0x08, 3, 0, 0, 0, 2])), '3 dimension sizes', 'truncated');
  throwsInput(() => decodeIdx(new Uint8Array([0, 0, 0x08, 1, 0, 0, 0, 5, 1, 2])), 'dimensions [5]', 'need 5 data bytes', 'has 2', 'truncated');
  throwsInput(() => decodeIdx(new Uint8Array([0, 0, 0x0d, 1, 0, 0, 0, 1, 1, 2, 3, 4, 5])), 'need 4', 'has 5', 'trailing');
});

test('bad input: corrupt or truncated gzip', () => {
  const gz = gzipSync(new Uint8Array([0, 0, 0x08, 1, 0, 0, 0, 3, 1, 2, 3]));
  throwsInput(() => decodeIdx(gz.subarray(0, gz.length - 6)), 'gzip data is corrupt or truncated');
});

test('bad input: missing file; unsupported dtype to write', () => {
  const { dir, cleanup } = tempDir();
  try {
    const missing = join(dir, 'train-images-idx3-ubyte.gz');
    throwsInput(() => readIdx(missing), 'IDX file not found', missing);
    throwsInput(() => encodeIdx({ data: new BigInt64Array(1), shape: [1], dtype: 'int64' }), "cannot store dtype 'int64'");
  } finally {
    cleanup();
  }
});

/** Big-endian IDX header: type code, then dimensions. */
function idxHeader(code: number, ...dims: number[]): Uint8Array {
  const h = new Uint8Array(4 + 4 * dims.length);
  h[2] = code;
  h[3] = dims.length;
  dims.forEach((d, k) => new DataView(h.buffer).setUint32(4 + 4 * k, d, false));
  return h;
}

test('decompression bomb: inflating stops at the size the header declares (issue 10)', () => {
  // A gzip file may hold several members, which inflate to their concatenation: one member with a
  // header declaring a single byte, then 256 members of 1 MiB of zeros each (about 270 kB in all,
  // 256 MiB inflated). The reader used to inflate all of it before comparing lengths.
  const zeros = gzipSync(new Uint8Array(MiB));
  const members = [gzipSync(concat(idxHeader(0x08, 1), new Uint8Array([7])))];
  for (let k = 0; k < 256; k++) members.push(zeros);
  const bomb = new Uint8Array(Buffer.concat(members));
  const { growth, error } = arrayBufferGrowth(() => decodeIdx(bomb));
  assert.instance(error, InputError);
  const msg = (error as Error).message;
  assert.ok(msg.includes('more than the 9 bytes that the header declares'), msg);
  assert.ok(growth < 64 * MiB, `reader kept ${(growth / MiB).toFixed(1)} MiB alive for a 9-byte array`);
});

test('gzip: a header declaring more than can be read says so (not "corrupt")', () => {
  // 5 GiB declared; the compressed data holds 2 MiB of zeros (more than the one-shot size).
  const gz = gzipSync(concat(idxHeader(0x08, 5, 1 << 30), new Uint8Array(2 * MiB)));
  throwsInput(() => decodeIdx(gz), 'declares dimensions [5, 1073741824]', '5368709132 bytes', 'exceeds', 'can be read');
});

test('gzip: large valid files, and data shorter or longer than declared', () => {
  const n = 3 * MiB + 5;
  const data = new Uint8Array(n);
  for (let i = 0; i < n; i++) data[i] = (i * 2654435761) >>> 24;
  const file = concat(idxHeader(0x08, n), data);
  const r = decodeIdx(gzipSync(file));
  assert.equal(r.shape, [n]);
  assert.ok(Buffer.from(r.data as Uint8Array).equals(Buffer.from(data)), 'data inflated from a multi-MiB gzip');
  throwsInput(() => decodeIdx(gzipSync(file.subarray(0, file.length - 1))), `need ${n} data bytes`, `holds ${n - 1}`, 'truncated');
  throwsInput(() => decodeIdx(gzipSync(concat(file, new Uint8Array(1)))), `more than the ${n + 8} bytes that the header declares`);
  throwsInput(() => decodeIdx(gzipSync(concat(file.subarray(0, 8), new Uint8Array(2)))), `need ${n} data bytes`, 'holds 2', 'truncated');
});

test('plain: a header declaring more elements than 2^53 is an InputError naming the file', () => {
  throwsInput(() => decodeIdx(idxHeader(0x0e, 0xffffffff, 0xffffffff, 0xffffffff), 'big.idx'), 'IDX big.idx', 'dimensions [4294967295, 4294967295, 4294967295]', 'truncated');
});

test.run();
