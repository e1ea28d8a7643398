import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { InputError } from '../../src/errors.js';
import { TopKAccumulator } from '../../src/influence/top-k.js';
import { Random } from '../../src/tensor/random.js';
import { throwsType } from '../helpers.js';

test('bounded heaps over random blocks equal a full sort (ties broken by smaller index, NaN skipped)', () => {
  const rng = new Random(3);
  for (let trial = 0; trial < 50; trial++) {
    const nTest = 1 + rng.int(3), nTrain = 1 + rng.int(60), k = 1 + rng.int(8);
    // Few distinct values so that ties happen.
    const m = Float64Array.from({ length: nTest * nTrain }, () => (rng.int(10) === 0 ? NaN : rng.int(7) - 3));
    const acc = new TopKAccumulator(nTest, k);
    for (let start = 0; start < nTrain;) {
      const cols = Math.min(1 + rng.int(9), nTrain - start);
      const block = new Float64Array(nTest * cols);
      for (let i = 0; i < nTest; i++) for (let j = 0; j < cols; j++) block[i * cols + j] = m[i * nTrain + start + j]!;
      acc.add(block, cols, start);
      start += cols;
    }
    const res = acc.result();
    for (let i = 0; i < nTest; i++) {
      const row = Array.from({ length: nTrain }, (_, j) => ({ index: j, score: m[i * nTrain + j]! })).filter((e) => !Number.isNaN(e.score));
      const asc = [...row].sort((a, b) => a.score - b.score || a.index - b.index).slice(0, k);
      const desc = [...row].sort((a, b) => b.score - a.score || a.index - b.index).slice(0, k);
      assert.equal(res[i]!.helpful, asc);
      assert.equal(res[i]!.harmful, desc);
    }
  }
});

test('bad k and bad blocks are InputErrors', () => {
  throwsType(() => new TopKAccumulator(2, 0), InputError, /positive integer/);
  throwsType(() => new TopKAccumulator(2, 1.5), InputError);
  throwsType(() => new TopKAccumulator(2, 3).add([1, 2, 3], 2, 0), InputError, /needs 4 scores, got 3/);
});

test.run();
