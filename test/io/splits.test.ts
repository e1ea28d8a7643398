import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { ShapeError } from '../../src/errors.js';
import { fashionPixels } from '../../src/io/fashion-pixels.js';
import { standardisedSplit } from '../../src/io/splits.js';
import { InputError } from '../../src/errors.js';
import { throwsType } from '../helpers.js';

test('standardisedSplit: rows by the permutation, features standardised with the training statistics (exact arithmetic)', () => {
  // 5 rows × 2 features; column 1 is constant (std 0 → divided by 1).
  const x = { data: new Float64Array([1, 7, 2, 7, 3, 7, 4, 7, 100, 7]), shape: [5, 2], dtype: 'float64' as const };
  const y = { data: new Int32Array([0, 1, 0, 1, 1]), shape: [5], dtype: 'int32' as const };
  const s = standardisedSplit({ x, y }, [2, 0, 1, 4, 3], 0.6);
  assert.equal(Array.from(s.trainIndex), [2, 0, 1]);
  assert.equal(Array.from(s.testIndex), [4, 3]);
  assert.equal(s.train.x.shape, [3, 2]);
  assert.equal(s.test.x.shape, [2, 2]);
  const sd = Math.sqrt(2 / 3); // training column 0: 3, 1, 2 → mean 2, population std √(2/3)
  assert.equal(Array.from(s.train.x.data), [1 / sd, 0, -1 / sd, 0, 0, 0]);
  assert.equal(Array.from(s.test.x.data), [98 / sd, 0, 2 / sd, 0]);
  assert.equal(Array.from(s.train.y.data), [0, 0, 1]);
  assert.is(s.test.y.dtype, 'float64');
  throwsType(() => standardisedSplit({ x, y }, [0, 1, 2]), ShapeError);
});

test('fashionPixels: k×k average pooling of the bundled subset, pixels / 255, no tensors', () => {
  const full = fashionPixels({ split: 'test', limit: 3 });
  const pooled = fashionPixels({ split: 'test', limit: 3, pool: 4 });
  assert.equal(full.x.shape, [3, 784]);
  assert.equal(pooled.x.shape, [3, 49]);
  assert.is(pooled.side, 7);
  assert.equal(Array.from(pooled.labels), Array.from(full.labels));
  let acc = 0;
  for (let r = 0; r < 4; r++) for (let c = 0; c < 4; c++) acc += full.x.data[r * 28 + c]!;
  assert.ok(Math.abs(pooled.x.data[0]! - acc / 16) <= 1e-15);
  throwsType(() => fashionPixels({ pool: 5 }), InputError);
});

test.run();
