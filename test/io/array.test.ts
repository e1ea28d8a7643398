import { test } from 'uvu';
import * as assert from 'uvu/assert';
import {
  assertRawArray, decodeData, encodeData, fortranToC, itemSize, numel, rawArray, toFloat32, toFloat64, toInt32,
} from '../../src/io/array.js';
import { throwsInput } from './helpers.js';

test('numel and itemSize', () => {
  assert.is(numel([]), 1);
  assert.is(numel([2, 3, 4]), 24);
  assert.is(numel([5, 0]), 0);
  assert.is(itemSize('float64'), 8);
  assert.is(itemSize('uint8'), 1);
  throwsInput(() => numel([2, -1]), 'non-negative');
  throwsInput(() => numel([1.5]), 'non-negative');
});

test('rawArray / assertRawArray check dtype and length', () => {
  const r = rawArray(new Float32Array(6), [2, 3]);
  assert.is(r.dtype, 'float32');
  throwsInput(() => rawArray(new Float32Array(5), [2, 3]), 'needs 6 elements', 'has 5');
  throwsInput(() => assertRawArray({ data: new Float32Array(2), shape: [2], dtype: 'float64' }), "says 'float64'", 'Float32Array');
  throwsInput(() => assertRawArray({ data: new Float32Array(2), shape: [2], dtype: 'float16' as never }), 'float16');
});

test('toInt32 converts int64 labels and rejects overflow', () => {
  const ok = toInt32({ data: new BigInt64Array([0n, 9n, -3n, 2147483647n, -2147483648n]), shape: [5], dtype: 'int64' });
  assert.equal(Array.from(ok.data), [0, 9, -3, 2147483647, -2147483648]);
  assert.is(ok.dtype, 'int32');
  throwsInput(() => toInt32({ data: new BigInt64Array([1n, 2147483648n]), shape: [2], dtype: 'int64' }, 'labels'),
    'labels', '2147483648', 'flat index 1', 'overflows int32');
  throwsInput(() => toInt32({ data: new BigInt64Array([-2147483649n]), shape: [1], dtype: 'int64' }), '-2147483649');
  throwsInput(() => toInt32({ data: new Float64Array([1, 2.5]), shape: [2], dtype: 'float64' }), '2.5', 'flat index 1');
  throwsInput(() => toInt32({ data: new Float32Array([NaN]), shape: [1], dtype: 'float32' }), 'NaN');
  assert.equal(Array.from(toInt32({ data: new Uint8Array([255, 0]), shape: [2], dtype: 'uint8' }).data), [255, 0]);
});

test('toFloat64 / toFloat32 copy and convert', () => {
  const src = { data: new BigInt64Array([1n, -2n]), shape: [2], dtype: 'int64' as const };
  const f = toFloat64(src);
  assert.equal(Array.from(f.data), [1, -2]);
  assert.equal(f.shape, [2]);
  const u = { data: new Uint8Array([7]), shape: [1, 1], dtype: 'uint8' as const };
  const g = toFloat32(u);
  assert.instance(g.data, Float32Array);
  g.data[0] = 1;
  assert.is(u.data[0], 7, 'conversion must copy');
});

test('decodeData handles both byte orders and unaligned input', () => {
  const buf = new Uint8Array(9);
  buf.set([0x3f, 0xf0, 0, 0, 0, 0, 0, 0], 1); // 1.0 as big-endian double at offset 1
  const be = decodeData(buf.subarray(1), 'float64', 1, false);
  assert.is(be[0], 1);
  const le = encodeData(new Float64Array([1]), true);
  assert.equal(Array.from(le), [0, 0, 0, 0, 0, 0, 0xf0, 0x3f]);
  assert.equal(Array.from(encodeData(new Int32Array([1]), false)), [0, 0, 0, 1]);
  throwsInput(() => decodeData(new Uint8Array(7), 'float64', 1, true), 'expected 8 bytes', 'got 7');
});

test('fortranToC reorders column-major data', () => {
  // Logical 2x3 matrix [[0,1,2],[3,4,5]] stored column-major is 0,3,1,4,2,5.
  assert.equal(Array.from(fortranToC(new Int32Array([0, 3, 1, 4, 2, 5]), [2, 3])), [0, 1, 2, 3, 4, 5]);
  // 1-D is unchanged.
  assert.equal(Array.from(fortranToC(new Float64Array([1, 2]), [2])), [1, 2]);
});

test.run();
