import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { testBackends } from '../helpers.js';

/**
 * allFinite (src/tensor/ops/finite.ts): the summation fast path and the exact fallback give the
 * entry-by-entry answer — including finite entries whose sum overflows (the fallback must clear
 * them) and a +Inf and a −Inf that would cancel to NaN — in every dtype, on every backend.
 */
for (const backend of testBackends()) {
  const s = suite(`allFinite [${backend}]`);
  s.before.each(() => { c.setBackend(backend); });

  s('agrees with the entry-by-entry check', () => {
    const cases: [number[], boolean][] = [
      [[1, 2, 3], true], [[], true], [[0, -0, 1e-300], true],
      [[1, NaN, 3], false], [[Infinity], false], [[-Infinity, 1], false], [[Infinity, -Infinity], false],
    ];
    for (const dtype of ['float32', 'float64'] as const) {
      for (const [xs, want] of cases) {
        assert.is(c.allFinite(c.tensor(xs, [xs.length], dtype)), want, `${dtype} [${xs.join(', ')}]`);
      }
    }
    // Finite entries whose sum overflows: not finite as a sum, finite entry by entry.
    assert.is(c.allFinite(c.tensor([1.7e308, 1.7e308], [2], 'float64')), true, 'float64 overflowing sum');
    assert.is(c.allFinite(c.tensor(new Array(1000).fill(3e38), [1000], 'float32')), true, 'float32 large entries');
    assert.is(c.allFinite(c.tensor([1, 2], [2], 'int32')), true, 'int32');
    const big = new Float32Array(100_003).fill(0.5);
    big[77_777] = NaN;
    assert.is(c.allFinite(c.tensor(big, [100_003], 'float32')), false, 'one NaN among 100,003');
  });

  s.run();
}
