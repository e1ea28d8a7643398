import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { type RawArray, toInt32 } from '../../src/io/array.js';
import { encodeSafetensors, readSafetensors, writeSafetensors } from '../../src/io/safetensors.js';
import { InputError } from '../../src/errors.js';
import { MiB, arrayBufferGrowth, concat, tempDir, throwsInput, utf8 } from './helpers.js';

/** Build a safetensors file by hand: u64 LE header length, header text as given, then data. */
function handMade(header: string, data: Uint8Array = new Uint8Array(0), lengthOverride?: number): Uint8Array {
  const h = utf8(header);
  const len = new Uint8Array(8);
  new DataView(len.buffer).setBigUint64(0, BigInt(lengthOverride ?? h.length), true);
  return concat(len, h, data);
}

function f32le(...values: number[]): Uint8Array {
  return new Uint8Array(new Float32Array(values).buffer);
}

const ALL_DTYPES: Record<string, RawArray> = {
  f32: { data: new Float32Array([1.5, -2, 3.25, 0, -0, Infinity]), shape: [2, 3], dtype: 'float32' },
  f64: { data: new Float64Array([Math.PI, -1e300, NaN]), shape: [3], dtype: 'float64' },
  i64: { data: new BigInt64Array([0n, -1n, 9007199254740993n, -(2n ** 63n)]), shape: [2, 2], dtype: 'int64' },
  i32: { data: new Int32Array([-2147483648, 2147483647]), shape: [2, 1], dtype: 'int32' },
  u8: { data: new Uint8Array([0, 128, 255]), shape: [3], dtype: 'uint8' },
  scalar: { data: new Float64Array([42]), shape: [], dtype: 'float64' },
  empty: { data: new Float32Array(0), shape: [0, 4], dtype: 'float32' },
};

test('round trip: every dtype, scalar, empty tensor, metadata, order', () => {
  const { dir, cleanup } = tempDir();
  try {
    const path = join(dir, 'nested', 'all.safetensors');
    writeSafetensors(path, ALL_DTYPES, { format: 'pt', note: 'héllo' });
    const back = readSafetensors(path);
    assert.equal([...back.tensors.keys()], Object.keys(ALL_DTYPES));
    for (const [k, raw] of Object.entries(ALL_DTYPES)) {
      const got = back.tensors.get(k)!;
      assert.is(got.dtype, raw.dtype, k);
      assert.equal(got.shape, raw.shape, k);
      assert.equal(Array.from(got.data as ArrayLike<unknown>), Array.from(raw.data as ArrayLike<unknown>), k);
    }
    assert.ok(Object.is((back.tensors.get('f32')!.data as Float32Array)[4], -0), 'negative zero preserved');
    assert.equal(back.metadata, { format: 'pt', note: 'héllo' });
  } finally {
    cleanup();
  }
});

test('writer layout: u64 header length, space padding to 8, contiguous offsets', () => {
  const bytes = encodeSafetensors(new Map<string, RawArray>([
    ['b', { data: new Uint8Array([1, 2, 3]), shape: [3], dtype: 'uint8' }],
    ['a', { data: new Float64Array([1]), shape: [1], dtype: 'float64' }],
  ]), { k: 'v' });
  const n = Number(new DataView(bytes.buffer).getBigUint64(0, true));
  assert.is(n % 8, 0);
  const header = new TextDecoder().decode(bytes.subarray(8, 8 + n));
  assert.ok(/^\{.*\} *$/.test(header), header);
  const parsed = JSON.parse(header);
  assert.equal(parsed.__metadata__, { k: 'v' });
  assert.equal(parsed.b, { dtype: 'U8', shape: [3], data_offsets: [0, 3] });
  assert.equal(parsed.a, { dtype: 'F64', shape: [1], data_offsets: [3, 11] });
  assert.is(bytes.length, 8 + n + 11);
  // Map order is header order, even for names JS objects would reorder.
  const numeric = encodeSafetensors(new Map<string, RawArray>([
    ['10', { data: new Uint8Array([1]), shape: [1], dtype: 'uint8' }],
    ['2', { data: new Uint8Array([2]), shape: [1], dtype: 'uint8' }],
  ]));
  assert.equal([...readSafetensors(numeric).tensors.keys()], ['10', '2']);
});

test('known bytes: hand-made file with an unaligned data offset', () => {
  // Header of odd length, so the F32 data starts at an unaligned file offset.
  const header = '{"__metadata__":{"source":"hand"},"w":{"dtype":"F32","shape":[2],"data_offsets":[1,9]},' +
    '"b":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}';
  const file = handMade(header + '   ', concat(new Uint8Array([7]), f32le(0.5, -4)));
  assert.ok((8 + header.length + 3 + 1) % 4 !== 0, 'test must exercise unaligned data');
  const { tensors, metadata } = readSafetensors(file);
  assert.equal([...tensors.keys()], ['w', 'b']);
  assert.equal(Array.from(tensors.get('w')!.data as Float32Array), [0.5, -4]);
  assert.equal(Array.from(tensors.get('b')!.data as Uint8Array), [7]);
  assert.equal(metadata, { source: 'hand' });
  // Results do not alias the input buffer.
  file[file.length - 1] = 0;
  assert.equal(Array.from(tensors.get('w')!.data as Float32Array), [0.5, -4]);
});

test('known bytes: I64 and I32 little-endian', () => {
  const data = new Uint8Array(12);
  const dv = new DataView(data.buffer);
  dv.setBigInt64(0, -5n, true);
  dv.setInt32(8, 300, true);
  const file = handMade('{"l":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},"m":{"dtype":"I32","shape":[],"data_offsets":[8,12]}}', data);
  const t = readSafetensors(file).tensors;
  assert.equal(Array.from(t.get('l')!.data as BigInt64Array), [-5n]);
  assert.equal(t.get('m')!.shape, []);
  assert.equal(Array.from(t.get('m')!.data as Int32Array), [300]);
});

test('int64 labels: converted with toInt32, overflow reported', () => {
  const ok = readSafetensors(encodeSafetensors({ y: { data: new BigInt64Array([3n, 0n, 9n]), shape: [3], dtype: 'int64' } }));
  assert.equal(Array.from(toInt32(ok.tensors.get('y')!, 'y').data), [3, 0, 9]);
  const big = readSafetensors(encodeSafetensors({ y: { data: new BigInt64Array([1n, 1n << 40n]), shape: [2], dtype: 'int64' } }));
  throwsInput(() => toInt32(big.tensors.get('y')!, 'labels "y"'), 'labels "y"', String(1n << 40n), 'overflows int32');
});

test('empty header object is a valid file with no tensors', () => {
  const r = readSafetensors(handMade('{}      '));
  assert.is(r.tensors.size, 0);
  assert.equal(r.metadata, {});
});

test('bad input: truncated files', () => {
  throwsInput(() => readSafetensors(new Uint8Array(5)), 'at least 8 bytes', 'got 5');
  throwsInput(() => readSafetensors(handMade('{}', new Uint8Array(0), 1000)), 'header length 1000', 'past the end');
  const good = encodeSafetensors({ w: { data: new Float32Array([1, 2, 3]), shape: [3], dtype: 'float32' } });
  throwsInput(() => readSafetensors(good.subarray(0, good.length - 4)), 'tensor "w"', 'past the', 'truncated');
});

test('bad input: header not JSON / not an object / not UTF-8', () => {
  throwsInput(() => readSafetensors(handMade('{"w": {"dtype": "F32",')), 'not valid JSON');
  throwsInput(() => readSafetensors(handMade('[1,2,3]')), "start with '{'");
  throwsInput(() => readSafetensors(handMade('{"w": 3}')), 'tensor "w"', 'expected {dtype, shape, data_offsets}');
  const bad = handMade('{"a":1}');
  bad[10] = 0xff;
  throwsInput(() => readSafetensors(bad), 'UTF-8');
  throwsInput(() => readSafetensors(handMade('{"__metadata__":{"n":1}}')), '__metadata__', '"n"', 'string');
});

test('bad input: unknown or unsupported dtype', () => {
  throwsInput(() => readSafetensors(handMade('{"w":{"dtype":"F17","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4))),
    'tensor "w"', 'unknown dtype "F17"', 'F32');
  throwsInput(() => readSafetensors(handMade('{"w":{"dtype":"BF16","shape":[2],"data_offsets":[0,4]}}', new Uint8Array(4))),
    'unsupported dtype "BF16"');
  throwsInput(() => readSafetensors(handMade('{"w":{"dtype":7,"shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4))), '"dtype"');
});

test('bad input: offsets out of range or inconsistent with shape', () => {
  const d = new Uint8Array(8);
  throwsInput(() => readSafetensors(handMade('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,12]}}', d)),
    'tensor "w"', '[0, 12]', 'past the 8-byte data buffer');
  throwsInput(() => readSafetensors(handMade('{"w":{"dtype":"F32","shape":[3],"data_offsets":[0,8]}}', d)),
    'tensor "w"', 'needs 12 bytes', 'span 8');
  throwsInput(() => readSafetensors(handMade('{"w":{"dtype":"F32","shape":[2],"data_offsets":[8,0]}}', d)), 'begin > end');
  throwsInput(() => readSafetensors(handMade('{"w":{"dtype":"F32","shape":[2],"data_offsets":[-1,7]}}', d)), 'data_offsets');
  throwsInput(() => readSafetensors(handMade('{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}', d)), 'data_offsets');
  throwsInput(() => readSafetensors(handMade('{"w":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}}', d)), '"shape"');
  throwsInput(() => readSafetensors(handMade('{"w":{"dtype":"F32","shape":"2","data_offsets":[0,8]}}', d)), '"shape"');
});

test('bad input: holes, overlaps, trailing bytes, duplicate keys', () => {
  const d = new Uint8Array(8);
  throwsInput(() => readSafetensors(handMade('{"w":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', d)), 'holes');
  throwsInput(() => readSafetensors(handMade(
    '{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', d)), 'overlap');
  throwsInput(() => readSafetensors(handMade('{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', d)), 'trailing');
  throwsInput(() => readSafetensors(handMade(
    '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}', d)), 'duplicate key "a"');
});

test('bad input: missing file, directory', () => {
  const { dir, cleanup } = tempDir();
  try {
    const missing = join(dir, 'nope.safetensors');
    throwsInput(() => readSafetensors(missing), 'not found', missing);
    throwsInput(() => readSafetensors(dir), 'directory');
    const junk = join(dir, 'junk.safetensors');
    writeFileSync(junk, 'hello world, not a safetensors file');
    throwsInput(() => readSafetensors(junk), junk, 'header length');
  } finally {
    cleanup();
  }
});

test('writer rejects bad tensors and metadata', () => {
  throwsInput(() => encodeSafetensors({ w: { data: new Float32Array(3), shape: [2, 2], dtype: 'float32' } }), 'tensor "w"', 'needs 4');
  throwsInput(() => encodeSafetensors({ __metadata__: { data: new Float32Array(1), shape: [1], dtype: 'float32' } }), 'reserved');
  throwsInput(() => encodeSafetensors({}, { n: 1 as unknown as string }), 'metadata["n"]', 'string');
});

test('memory bomb: many tensors claiming one range are rejected before anything is copied (issue 10)', () => {
  // 200 tensors, each claiming the same 1 MiB range of a 1 MiB buffer. The reader used to copy
  // every tensor (200 MiB here; 6.7 GB for the 32 MB file of the report) before checking overlap.
  const parts = Array.from({ length: 200 }, (_, k) => `"t${k}":{"dtype":"U8","shape":[${MiB}],"data_offsets":[0,${MiB}]}`);
  const file = handMade(`{${parts.join(',')}}`, new Uint8Array(MiB));
  const { growth, error } = arrayBufferGrowth(() => readSafetensors(file));
  assert.instance(error, InputError);
  assert.ok((error as Error).message.includes('overlap'), (error as Error).message);
  assert.ok(growth < 16 * MiB, `reader kept ${(growth / MiB).toFixed(1)} MiB of copies alive; expected none`);
});

test('bad input: duplicate keys inside a tensor entry or the metadata', () => {
  const d = new Uint8Array(4);
  throwsInput(() => readSafetensors(handMade('{"w":{"dtype":"F32","shape":[1],"shape":[2],"data_offsets":[0,4]}}', d)), 'duplicate key "shape"');
  throwsInput(() => readSafetensors(handMade('{"__metadata__":{"a":"x","\\u0061":"y"},"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}', d)),
    'duplicate key "a"');
});

test('bad input: hostile headers give InputError, never RangeError or a prototype lookup', () => {
  // Deep nesting used to overflow the stack in the error message (a RangeError escaped).
  const deep = '['.repeat(100000) + ']'.repeat(100000);
  throwsInput(() => readSafetensors(handMade(`{"w":${deep}}`)), 'tensor "w"', 'expected {dtype, shape, data_offsets}');
  // Names of Object.prototype members are not dtypes.
  for (const dt of ['constructor', 'toString', '__proto__']) {
    throwsInput(() => readSafetensors(handMade(`{"w":{"dtype":"${dt}","shape":[1],"data_offsets":[0,4]}}`, new Uint8Array(4))), 'unknown dtype');
  }
  // Element counts beyond 2^53 are reported, not multiplied into nonsense.
  throwsInput(() => readSafetensors(handMade('{"w":{"dtype":"U8","shape":[4294967296,4294967296],"data_offsets":[0,0]}}')), 'tensor "w"', 'more elements');
});

test('found by fuzzing: a header starting with a byte-order mark is rejected; a -0 dimension reads as 0', () => {
  const bom = handMade('\ufeff{"w":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', new Uint8Array(1));
  throwsInput(() => readSafetensors(bom), "start with '{'");
  const z = readSafetensors(handMade('{"w":{"dtype":"F32","shape":[-0,2],"data_offsets":[0,0]}}')).tensors.get('w')!;
  assert.ok(Object.is(z.shape[0], 0), 'shape[0] is +0');
});

test.run();
