import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError } from '../../src/errors.js';
import { NpyWriter } from '../../src/io/npy-writer.js';
import { readNpy } from '../../src/io/npy.js';
import { throwsType } from '../helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'curv-npyw-'));

test('rows appended in pieces read back exactly (float64, open row count → header rewritten at close)', () => {
  const path = join(dir, 'a.npy');
  const w = NpyWriter.open(path, { rowShape: [3] });
  assert.not.ok(existsSync(path), 'nothing at the target before close');
  w.append([1, 2, 3]);
  w.append(Float64Array.from([4, 5, 6, 7.5, -8, 1e-300]), 2);
  assert.is(w.rowsWritten, 3);
  w.close();
  const r = readNpy(path);
  assert.equal(r.shape, [3, 3]);
  assert.is(r.dtype, 'float64');
  assert.equal(Array.from(r.data as Float64Array), [1, 2, 3, 4, 5, 6, 7.5, -8, 1e-300]);
  const bytes = readFileSync(path);
  const hlen = bytes.readUInt16LE(8);
  assert.is((10 + hlen) % 64, 0, 'data aligned to 64 bytes');
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.partial')), []);
});

test('known row count, float32, rank-2 rows and scalar rows', () => {
  const p1 = join(dir, 'b.npy');
  const w = NpyWriter.open(p1, { rowShape: [2, 2], rows: 2, dtype: 'float32' });
  w.append([1, 2, 3, 4]); w.append([5, 6, 7, 0.1]);
  w.close();
  const r = readNpy(p1);
  assert.equal(r.shape, [2, 2, 2]);
  assert.is(r.dtype, 'float32');
  assert.is(r.data[7], Math.fround(0.1));
  const p2 = join(dir, 'c.npy');
  const v = NpyWriter.open(p2, { rowShape: [] });
  for (let i = 0; i < 1000; i++) v.append([i]);
  v.close();
  const s = readNpy(p2);
  assert.equal(s.shape, [1000]);
  assert.is(s.data[999], 999);
});

test('abort and errors: nothing at the target, no temporary file left', () => {
  const path = join(dir, 'd.npy');
  const w = NpyWriter.open(path, { rowShape: [2] });
  w.append([1, 2]);
  w.abort();
  assert.not.ok(existsSync(path));
  throwsType(() => w.append([1, 2]), InputError, /closed or aborted/);
  w.abort(); // idempotent
  const k = NpyWriter.open(path, { rowShape: [2], rows: 3 });
  k.append([1, 2]);
  throwsType(() => k.append([1, 2, 3]), InputError, /not a whole number of rows/);
  throwsType(() => k.append([1, 2, 3], 1), InputError, /need 2 values, got 3/);
  throwsType(() => k.close(), InputError, /announces 3 rows, 1 were written/);
  assert.not.ok(existsSync(path));
  const over = NpyWriter.open(path, { rowShape: [1], rows: 1 });
  over.append([1]);
  throwsType(() => over.append([2]), InputError, /announces 1 rows/);
  over.abort();
  throwsType(() => NpyWriter.open(path, { rowShape: [-1] }), InputError);
  throwsType(() => NpyWriter.open(path, { rowShape: [2], rows: 1.5 }), InputError);
  throwsType(() => NpyWriter.open(path, { rowShape: [2], dtype: 'int32' as 'float32' }), InputError);
  throwsType(() => NpyWriter.open('', { rowShape: [2] }), InputError);
  throwsType(() => NpyWriter.open(join(dir, 'a.npy', 'under-a-file.npy'), { rowShape: [2] }), InputError, /cannot create/);
  assert.equal(readdirSync(dir).filter((f) => f.endsWith('.partial')), []);
});

test.run();
