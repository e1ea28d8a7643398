import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { throwsType } from '../helpers.js';

/**
 * pearson / spearman against hand-computed values (checked with scipy.stats 1.17: pearsonr,
 * spearmanr, rankdata), and their contract (src/influence/correlation.ts): equal lengths ≥ 2,
 * finite values (else InputError), NaN for a constant series, results in [−1, 1].
 * Tolerance 1e-15 relative: a handful of float64 operations on small integers.
 */
const s = suite('pearson and spearman');
const close = (got: number, want: number, what: string): void =>
  assert.ok(Math.abs(got - want) <= 1e-15 * Math.abs(want), `${what}: ${got}, expected ${want}`);

s('hand-computed example: a = 1..5, b = (2, 4, 5, 4, 5)', () => {
  // ā = 3, b̄ = 4; deviations (−2, −1, 0, 1, 2) and (−2, 0, 1, 0, 1): Σab = 6, Σa² = 10, Σb² = 6.
  close(c.pearson([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 6 / Math.sqrt(60), 'pearson'); // 0.7745966692414834
  // Ranks of b with ties averaged: (1, 2.5, 4.5, 2.5, 4.5): Σab = 7, Σa² = 10, Σb² = 9.
  close(c.spearman([1, 2, 3, 4, 5], [2, 4, 5, 4, 5]), 7 / Math.sqrt(90), 'spearman'); // 0.7378647873726218
  // A second example with signs and no ties: scipy gives 0.7581338265133919 and 6/7.
  const a = [2.5, -1, 0.5, 4, 3, -2, 0], b = [1, 0.3, 0.2, 2, 5, -1, 0.1];
  assert.ok(Math.abs(c.pearson(a, b) - 0.7581338265133919) < 1e-15);
  close(c.spearman(a, b), 6 / 7, 'spearman without ties');
});

s('ties share their average rank', () => {
  assert.equal([...c.ranks([10, 20, 10, 30, 20, 10])], [2, 4.5, 2, 6, 4.5, 2]);
  assert.equal([...c.ranks([3, 1, 2])], [3, 1, 2]);
  // All tied against all distinct: every rank is (n + 1)/2, so the series is constant.
  assert.equal([...c.ranks([7, 7, 7, 7])], [2.5, 2.5, 2.5, 2.5]);
});

s('exact extremes: a monotone map has Spearman 1; a reversal has −1 for both', () => {
  assert.is(c.spearman([1, 2, 3, 4], [1, 8, 27, 64]), 1);
  assert.ok(c.pearson([1, 2, 3, 4], [1, 8, 27, 64]) < 1);
  assert.is(c.pearson([1, 2, 3], [3, 2, 1]), -1);
  assert.is(c.spearman([1, 2, 3], [30, 20, 10]), -1);
});

s('a constant series has no correlation: NaN (as numpy and scipy), also when its mean rounds', () => {
  assert.ok(Number.isNaN(c.pearson([1, 1, 1], [1, 2, 3])));
  // 0.1·3/3 is not 0.1 in float64: the deviations are ±1e-17, not 0, and must not make a figure.
  assert.ok(Number.isNaN(c.pearson([0.1, 0.1, 0.1], [1, 2, 3])));
  assert.ok(Number.isNaN(c.pearson([1, 2, 4], [0.1, 0.1, 0.1])));
  assert.ok(Number.isNaN(c.spearman([5, 5, 5, 5], [1, 2, 3, 4])));
  const r = c.correlationReport([0.3, 0.3], [1, 2]);
  assert.ok(Number.isNaN(r.pearson) && Number.isNaN(r.spearman));
});

s('NaN or ±Infinity in either series is an InputError naming the index', () => {
  throwsType(() => c.pearson([1, NaN, 3], [1, 2, 3]), c.InputError, /first series holds NaN at index 1/);
  throwsType(() => c.pearson([1, 2, 3], [1, 2, Infinity]), c.InputError, /second series holds Infinity at index 2/);
  throwsType(() => c.spearman([1, 2, 3, 4], [1, NaN, 3, 4]), c.InputError, /spearman.*index 1/);
  throwsType(() => c.spearman([-Infinity, 2], [1, 2]), c.InputError, /index 0/);
  throwsType(() => c.ranks([2, NaN]), c.InputError, /index 1/);
  throwsType(() => c.correlationReport([1, 2, 3], [NaN, 2, 3]), c.InputError);
});

s('length mismatch and fewer than two points are InputErrors', () => {
  throwsType(() => c.pearson([1, 2, 3], [1, 2]), c.InputError, /equal length ≥ 2, got 3 and 2/);
  throwsType(() => c.spearman([1, 2], [1, 2, 3]), c.InputError, /spearman: .*got 2 and 3/);
  throwsType(() => c.pearson([1], [1]), c.InputError);
  throwsType(() => c.pearson([], []), c.InputError);
  throwsType(() => c.pearson(null as unknown as number[], [1, 2]), c.InputError);
});

s('invariant to affine maps (positive scale), also at magnitudes whose squares overflow; within [−1, 1]', () => {
  const rng = new Random(3);
  const a = Array.from({ length: 50 }, () => rng.normal()), b = a.map((v) => v + 0.5 * rng.normal());
  const r = c.pearson(a, b);
  assert.ok(Math.abs(c.pearson(a.map((v) => 3 * v + 7), b) - r) < 1e-14);
  assert.ok(Math.abs(c.pearson(a.map((v) => 1e200 * v), b.map((v) => 1e-200 * v)) - r) < 1e-14, 'no overflow at 1e200');
  assert.ok(Math.abs(c.pearson(a.map((v) => -v), b) + r) < 1e-14);
  for (let t = 0; t < 200; t++) {
    const x = Array.from({ length: 2 + (t % 7) }, () => rng.normal());
    const p = c.pearson(x, x), q = c.pearson(x, x.map((v) => -v));
    assert.ok(p <= 1 && p > 1 - 1e-15 && q >= -1 && q < -1 + 1e-15, `pearson(x, ±x) = ${p}, ${q}`);
  }
});

s.run();
