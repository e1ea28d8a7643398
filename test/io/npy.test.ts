import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import type { RawArray } from '../../src/io/array.js';
import { decodeNpy, encodeNpy, readNpy, writeNpy } from '../../src/io/npy.js';
import { b64, concat, tempDir, throwsInput, utf8 } from './helpers.js';

/** Files written by numpy 1.24 (np.save / np.lib.format.write_array), base64-encoded. */
const NUMPY = {
  /** np.array([[1.5,-2,0.25],[3,4,-0.5]], '<f4') */
  f4: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY0JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDIsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAMA/AAAAwAAAgD4AAEBAAACAQAAAAL8=',
  /** np.asfortranarray(np.arange(24, dtype='<i4').reshape(2,3,4)) */
  fortranI4: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMywgNCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAADAAAAAQAAAAQAAAACAAAABQAAAABAAAADQAAAAUAAAARAAAACQAAABUAAAACAAAADgAAAAYAAAASAAAACgAAABYAAAADAAAADwAAAAcAAAATAAAACwAAABcAAAA=',
  /** np.array([1, -2, 3 * 2**40], '>i8') */
  beI8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPmk4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAAAAf/////////+AAADAAAAAAA=',
  /** np.array([0, 1, 255], np.uint8) */
  u1: 'k05VTVBZAQB2AHsnZGVzY3InOiAnfHUxJywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDMsKSwgfSAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAf8=',
  /** np.float64(-1.25) */
  scalarF8: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAAAAD0vw==',
  /** np.array([7, 8], '<i8') written with version=(2, 0) */
  v2: 'k05VTVBZAgB0AAAAeydkZXNjcic6ICc8aTgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoHAAAAAAAAAAgAAAAAAAAA',
  /** the same with version=(3, 0) */
  v3: 'k05VTVBZAwB0AAAAeydkZXNjcic6ICc8aTgnLCAnZm9ydHJhbl9vcmRlcic6IEZhbHNlLCAnc2hhcGUnOiAoMiwpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoHAAAAAAAAAAgAAAAAAAAA',
  /** np.zeros((0, 3), '<f8') */
  empty: 'k05VTVBZAQB2AHsnZGVzY3InOiAnPGY4JywgJ2ZvcnRyYW5fb3JkZXInOiBGYWxzZSwgJ3NoYXBlJzogKDAsIDMpLCB9ICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAo=',
};

/** A v1.0 npy file with the given header dict text (padded to 64 like numpy) and data bytes. */
function handMade(dict: string, data: Uint8Array = new Uint8Array(0), major = 1): Uint8Array {
  const pre = major === 1 ? 10 : 12;
  const dictBytes = utf8(dict);
  const total = Math.ceil((pre + dictBytes.length + 1) / 64) * 64;
  const header = concat(dictBytes, utf8(' '.repeat(total - pre - 1 - dictBytes.length) + '\n'));
  const head = new Uint8Array(pre);
  head.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, major, 0]);
  const dv = new DataView(head.buffer);
  if (major === 1) dv.setUint16(8, header.length, true);
  else dv.setUint32(8, header.length, true);
  return concat(head, header, data);
}

const SAMPLES: RawArray[] = [
  { data: new Float32Array([1.5, -2, 0.25, 3, 4, -0.5]), shape: [2, 3], dtype: 'float32' },
  { data: new Float64Array([Math.E, -0, NaN, -Infinity]), shape: [2, 1, 2], dtype: 'float64' },
  { data: new Int32Array([-1, 2147483647]), shape: [2], dtype: 'int32' },
  { data: new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n, 5n]), shape: [3], dtype: 'int64' },
  { data: new Uint8Array([0, 1, 255]), shape: [3], dtype: 'uint8' },
  { data: new Float64Array([7]), shape: [], dtype: 'float64' },
  { data: new Float32Array(0), shape: [0, 5], dtype: 'float32' },
];

test('round trip through a file: every dtype, scalar, empty', () => {
  const { dir, cleanup } = tempDir();
  try {
    SAMPLES.forEach((raw, k) => {
      const path = join(dir, `a${k}.npy`);
      writeNpy(path, raw);
      const back = readNpy(path);
      assert.is(back.dtype, raw.dtype);
      assert.equal(back.shape, raw.shape);
      assert.equal(Array.from(back.data as ArrayLike<unknown>), Array.from(raw.data as ArrayLike<unknown>));
    });
  } finally {
    cleanup();
  }
});

test('encodeNpy writes version 1.0 with data aligned to 64, byte-identical to numpy', () => {
  const bytes = encodeNpy(SAMPLES[0]!);
  assert.equal(Array.from(bytes.subarray(0, 8)), [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  const hlen = bytes[8]! | (bytes[9]! << 8);
  assert.is((10 + hlen) % 64, 0);
  assert.is(bytes[10 + hlen - 1], 0x0a);
  assert.equal(Array.from(bytes), Array.from(b64(NUMPY.f4)));
  assert.equal(Array.from(encodeNpy({ data: new Uint8Array([0, 1, 255]), shape: [3], dtype: 'uint8' })), Array.from(b64(NUMPY.u1)));
  assert.equal(Array.from(encodeNpy({ data: new Float64Array([-1.25]), shape: [], dtype: 'float64' })), Array.from(b64(NUMPY.scalarF8)));
});

test('known bytes: files written by numpy', () => {
  const f4 = decodeNpy(b64(NUMPY.f4));
  assert.equal(f4.shape, [2, 3]);
  assert.equal(Array.from(f4.data as Float32Array), [1.5, -2, 0.25, 3, 4, -0.5]);
  const be = decodeNpy(b64(NUMPY.beI8));
  assert.is(be.dtype, 'int64');
  assert.equal(Array.from(be.data as BigInt64Array), [1n, -2n, 3n * 2n ** 40n]);
  const s = decodeNpy(b64(NUMPY.scalarF8));
  assert.equal(s.shape, []);
  assert.equal(Array.from(s.data as Float64Array), [-1.25]);
  for (const v of [NUMPY.v2, NUMPY.v3]) {
    const r = decodeNpy(b64(v));
    assert.equal(Array.from(r.data as BigInt64Array), [7n, 8n]);
  }
  const e = decodeNpy(b64(NUMPY.empty));
  assert.equal(e.shape, [0, 3]);
  assert.is(e.data.length, 0);
});

test('fortran_order True is transposed into C order', () => {
  const r = decodeNpy(b64(NUMPY.fortranI4));
  assert.equal(r.shape, [2, 3, 4]);
  assert.equal(Array.from(r.data as Int32Array), Array.from({ length: 24 }, (_, i) => i));
});

test('known bytes: hand-made header (double quotes, no trailing comma, Python 2 long)', () => {
  const data = new Uint8Array(new Float64Array([1, 2]).buffer);
  const r = decodeNpy(handMade('{"shape": (2L,), "fortran_order": False, "descr": "<f8"}', data));
  assert.equal(r.shape, [2]);
  assert.equal(Array.from(r.data as Float64Array), [1, 2]);
  // An unaligned Uint8Array view must work too.
  const file = handMade("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", data);
  const shifted = new Uint8Array(file.length + 3);
  shifted.set(file, 3);
  assert.equal(Array.from(decodeNpy(shifted.subarray(3)).data as Float64Array), [1, 2]);
});

test('bad input: truncated file', () => {
  const good = b64(NUMPY.f4);
  throwsInput(() => decodeNpy(good.subarray(0, 6)), 'at least 10 bytes');
  throwsInput(() => decodeNpy(good.subarray(0, 40)), 'header length 118', 'past the end');
  throwsInput(() => decodeNpy(good.subarray(0, good.length - 1)), 'needs 24 data bytes', 'has 23', 'truncated');
  throwsInput(() => decodeNpy(concat(good, new Uint8Array(4))), 'trailing');
});

test('bad input: wrong magic or version', () => {
  const good = b64(NUMPY.f4);
  const bad = good.slice();
  bad[1] = 0x4f;
  throwsInput(() => decodeNpy(bad), 'magic', 'not an npy file');
  const v4 = good.slice();
  v4[6] = 4;
  throwsInput(() => decodeNpy(v4), 'version', '4.0');
  const safetensorsLike = utf8('{"a": 1}          ');
  throwsInput(() => decodeNpy(safetensorsLike), 'magic');
});

test('bad input: malformed header dict', () => {
  throwsInput(() => decodeNpy(handMade("{'descr': '<f8', 'fortran_order': False, 'shape': (2,", new Uint8Array(16))), 'not a valid Python dict literal');
  throwsInput(() => decodeNpy(handMade("{'descr': '<f8', 'shape': (2,), }", new Uint8Array(16))), "missing the 'fortran_order' key");
  throwsInput(() => decodeNpy(handMade("{'descr': '<f8', 'fortran_order': 0, 'shape': (2,), }", new Uint8Array(16))), 'fortran_order');
  throwsInput(() => decodeNpy(handMade("{'descr': '<f8', 'fortran_order': False, 'shape': (-2,), }", new Uint8Array(16))), 'shape', '-2');
  throwsInput(() => decodeNpy(handMade("{'descr': '<f8', 'fortran_order': False, 'shape': 2, }", new Uint8Array(16))), 'shape');
  throwsInput(() => decodeNpy(handMade("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), 'x': 1}", new Uint8Array(16))), "unexpected keys 'x'");
  throwsInput(() => decodeNpy(handMade("['descr', '<f8']", new Uint8Array(16))), 'expected the header to be a dict');
});

test('bad input: unsupported dtypes', () => {
  for (const descr of ['<f2', '<c16', '<U5', '|b1', '<u4', '|S3', 'f8', '|f8', '=i4']) {
    throwsInput(() => decodeNpy(handMade(`{'descr': '${descr}', 'fortran_order': False, 'shape': (1,), }`, new Uint8Array(16))),
      'unsupported dtype', descr);
  }
  throwsInput(() => decodeNpy(handMade("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4))),
    'structured dtypes are not supported');
});

test('bad input: missing file, invalid array to write', () => {
  const { dir, cleanup } = tempDir();
  try {
    const missing = join(dir, 'missing.npy');
    throwsInput(() => readNpy(missing), 'npy file not found', missing);
    throwsInput(() => writeNpy(join(dir, 'x.npy'), { data: new Float32Array(2), shape: [3], dtype: 'float32' }), 'needs 3 elements');
  } finally {
    cleanup();
  }
});

test('bad input: hostile headers (deep nesting, duplicate keys, escapes, bad UTF-8) are InputErrors', () => {
  const deep = "{'descr': " + '['.repeat(100000);
  throwsInput(() => decodeNpy(handMade(deep, new Uint8Array(0), 2)), 'nested more than 32 deep');
  throwsInput(() => decodeNpy(handMade("{'descr': '<f8', 'fortran_order': False, 'shape': (1,), 'shape': (2,), }", new Uint8Array(16))),
    "duplicate key 'shape'");
  throwsInput(() => decodeNpy(handMade("{'descr': '<f8', 'fortran_order': False, 'sh\\ape': (2,), }", new Uint8Array(16))), 'backslash');
  const v3 = handMade("{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", new Uint8Array(16), 3);
  v3[13] = 0xff;
  throwsInput(() => decodeNpy(v3), 'UTF-8');
  // Long headers are cut in messages.
  const long = "{'descr': '<f8', 'fortran_order': False, 'shape': (" + '1, '.repeat(50000) + '2 2)}';
  let msg = '';
  try { decodeNpy(handMade(long, new Uint8Array(0), 2)); } catch (err) { msg = (err as Error).message; }
  assert.ok(msg.includes('not a valid Python dict literal') && msg.length < 600, msg.slice(0, 300));
});

test('found by fuzzing: shape must be a tuple (numpy rejects lists); -0 reads as 0; v3 header with a BOM is rejected', () => {
  const data = new Uint8Array(new Float64Array([1, 2]).buffer);
  throwsInput(() => decodeNpy(handMade("{'descr': '<f8', 'fortran_order': False, 'shape': [2], }", data)), "'shape'", 'tuple', 'a list');
  const z = decodeNpy(handMade("{'descr': '<f8', 'fortran_order': False, 'shape': (-0, 2), }"));
  assert.ok(Object.is(z.shape[0], 0), 'shape[0] is +0');
  throwsInput(() => decodeNpy(handMade("\ufeff{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }", data, 3)), 'not a valid Python dict literal');
});

test.run();
