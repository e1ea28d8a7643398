/**
 * Parser fuzz tests for every file reader (issue 10; DESIGN.md "Numerics and tests"): mutated
 * files must be read exactly as a strict, independent reference reads them (see fuzz-helpers.ts),
 * rejected with a typed error exactly when the reference rejects them, and never make the reader
 * hold more than a small multiple of the input size. scripts/fuzz-readers.mjs runs many more.
 */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { gzipSync } from 'node:zlib';
import { InputError } from '../../src/errors.js';
import type { RawArray } from '../../src/io/array.js';
import { decodeIdx, encodeIdx } from '../../src/io/idx.js';
import { decodeNpy, encodeNpy } from '../../src/io/npy.js';
import { encodeSafetensors, readSafetensors } from '../../src/io/safetensors.js';
import {
  FUZZ_FORMATS, type FuzzFormat, RefReject, describeFailure, fuzzFormat, refCsv, refIdx, refNpy, refSafetensors,
} from './fuzz-helpers.js';
import { arrayBufferGrowth, concat, utf8 } from './helpers.js';

/** Fixed seed: the suite is deterministic; the script takes --seed for fresh runs. */
const SEED = 20240610;
const COUNTS: Record<FuzzFormat, number> = { safetensors: 3000, npy: 3000, idx: 3000, 'idx.gz': 2000, csv: 3000 };

const SAMPLES: RawArray[] = [
  { data: new Float32Array([1.5, -2, NaN, -0, Infinity, 3]), shape: [2, 3], dtype: 'float32' },
  { data: new Float64Array([Math.PI, -1e-300]), shape: [2, 1], dtype: 'float64' },
  { data: new Int32Array([-2147483648, 7]), shape: [2], dtype: 'int32' },
  { data: new Uint8Array([0, 255, 9]), shape: [3], dtype: 'uint8' },
  { data: new Float64Array([42]), shape: [], dtype: 'float64' },
];
const values = (raw: RawArray): unknown[] => Array.from(raw.data as ArrayLike<unknown>);

function refRejects(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof RefReject) return;
    throw err;
  }
  assert.unreachable('the reference accepted an invalid file');
}

test('the reference readers read what the writers write, value for value', () => {
  const st = refSafetensors(encodeSafetensors(new Map(SAMPLES.map((s, k) => [`t${k}`, s])), { a: 'b' }));
  assert.equal(st.metadata, [['a', 'b']]);
  SAMPLES.forEach((s, k) => {
    assert.is(st.tensors[k]![0], `t${k}`);
    assert.equal(st.tensors[k]![1], { dtype: s.dtype, shape: s.shape, values: values(s) });
    assert.equal(refNpy(encodeNpy(s)), { dtype: s.dtype, shape: s.shape, values: values(s) });
    if (s.dtype !== 'int64') {
      assert.equal(refIdx(encodeIdx(s)), { dtype: s.dtype, shape: s.shape, values: values(s) });
      assert.equal(refIdx(encodeIdx(s, { gzip: true })), { dtype: s.dtype, shape: s.shape, values: values(s) });
    }
  });
  assert.equal(refSafetensors(encodeSafetensors({ l: { data: new BigInt64Array([-5n]), shape: [1], dtype: 'int64' } })).tensors[0]![1].values, [-5n]);
});

test('the reference readers: known bytes and known rejections', () => {
  // numpy's np.asfortranarray(np.arange(6, dtype='>i4').reshape(2, 3)), header written by hand.
  const dict = "{'descr': '>i4', 'fortran_order': True, 'shape': (2, 3), }";
  const head = new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, dict.length + 1, 0]);
  const data = new Uint8Array(24);
  [0, 3, 1, 4, 2, 5].forEach((v, k) => new DataView(data.buffer).setInt32(4 * k, v, false));
  assert.equal(refNpy(concat(head, utf8(dict + '\n'), data)), { dtype: 'int32', shape: [2, 3], values: [0, 1, 2, 3, 4, 5] });
  assert.equal(refIdx(new Uint8Array([0, 0, 0x0b, 1, 0, 0, 0, 2, 0xff, 0xfe, 1, 0])).values, [-2, 256]);
  const st = (h: string, d = 0): Uint8Array => {
    const b = utf8(h);
    const len = new Uint8Array(8);
    len[0] = b.length;
    return concat(len, b, new Uint8Array(d));
  };
  refRejects(() => refSafetensors(st('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[2],"data_offsets":[2,4]}}', 4)));
  refRejects(() => refSafetensors(st('{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"e":{"dtype":"U8","shape":[0],"data_offsets":[2,2]}}', 4)));
  refRejects(() => refSafetensors(st('\ufeff{}')));
  refRejects(() => refSafetensors(st('{"a":{"dtype":"U8","shape":[1],"shape":[1],"data_offsets":[0,1]}}', 1)));
  assert.equal(refSafetensors(st('{"e":{"dtype":"F32","shape":[0],"data_offsets":[4,4]},"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}', 4)).tensors.length, 2);
  const gzBomb = concat(gzipSync(new Uint8Array([0, 0, 8, 1, 0, 0, 0, 1, 7])), gzipSync(new Uint8Array(10)));
  refRejects(() => refIdx(gzBomb));
  const opts = { delimiter: ',', header: 'auto' as const, skipLines: 0 };
  assert.equal(refCsv('\ufeffa,b\r\n1,"2"\r\n', opts), { header: ['a', 'b'], rows: [['1', '2']], lines: [2], matrix: { values: [1, 2], shape: [1, 2] } });
  assert.is(refCsv('1,1e999', opts).matrix, 'reject');
  refRejects(() => refCsv('\ufeff\ufeff1', opts));
});

test('declared sizes far beyond the file are rejected before anything that size is allocated', () => {
  const HUGE = [2 ** 31, 2 ** 32 - 1, 2 ** 40, 2 ** 53 - 1];
  for (const n of HUGE) {
    const cases: Array<[string, () => unknown]> = [];
    const stHeader = utf8(`{"w":{"dtype":"F64","shape":[${n}],"data_offsets":[0,${n * 8 > Number.MAX_SAFE_INTEGER ? 0 : n * 8}]}}`);
    const len = new Uint8Array(8);
    new DataView(len.buffer).setBigUint64(0, BigInt(stHeader.length), true);
    cases.push(['safetensors', () => readSafetensors(concat(len, stHeader, new Uint8Array(16)))]);
    const dict = `{'descr': '<f8', 'fortran_order': True, 'shape': (${n}, 2), }`;
    cases.push(['npy', () => decodeNpy(concat(new Uint8Array([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, dict.length, 0]), utf8(dict), new Uint8Array(16)))]);
    if (n < 2 ** 32) {
      const idx = new Uint8Array([0, 0, 0x0e, 2, 0, 0, 0, 0, 0, 0, 0, 2, 1, 2, 3, 4]);
      new DataView(idx.buffer).setUint32(4, n, false);
      cases.push(['idx', () => decodeIdx(idx)]);
      cases.push(['idx.gz', () => decodeIdx(gzipSync(idx))]);
    }
    for (const [what, fn] of cases) {
      const { growth, error } = arrayBufferGrowth(fn);
      assert.instance(error, InputError, `${what} declaring ${n} elements: ${String(error)}`);
      assert.ok(growth < 1 << 16, `${what} declaring ${n} elements kept ${growth} bytes`);
    }
  }
});

for (const format of FUZZ_FORMATS) {
  test(`fuzz ${format}: ${COUNTS[format]} mutated inputs agree with the reference reading`, () => {
    const stats = fuzzFormat(format, { seed: SEED, count: COUNTS[format], keep: 3 });
    const report = stats.failures.map(describeFailure).join('\n');
    assert.is(stats.failures.length + stats.moreFailures, 0, `${stats.failures.length + stats.moreFailures} failing cases ${JSON.stringify(stats.kinds)}, e.g.\n${report}`);
    // Both outcomes must be well exercised, or the mutations are too weak or too strong.
    assert.ok(stats.accepted >= COUNTS[format] / 20, `only ${stats.accepted} of ${stats.cases} inputs were valid`);
    assert.ok(stats.rejected >= COUNTS[format] / 4, `only ${stats.rejected} of ${stats.cases} inputs were rejected`);
    assert.ok(stats.skipped <= stats.cases / 100, `${stats.skipped} cases undecided by the reference`);
  });
}

test.run();
