import { InputError } from '../errors.js';

/**
 * Correlations behind every acceptance figure (influence against leave-one-out or PBRF). Contract,
 * shared by pearson, spearman and correlationReport:
 * - two series of equal length ≥ 2, else InputError;
 * - every value finite: a NaN or ±Infinity is an InputError naming the series and the index (a NaN
 *   would otherwise turn the figure into NaN, or for Spearman, into a meaningless rank order);
 * - a constant series (zero variance) has no correlation: the result is NaN, as in
 *   numpy.corrcoef and scipy.stats.pearsonr/spearmanr. A check such as `r > 0.9` then fails.
 * - the result lies in [−1, 1] (rounding cannot push it outside).
 */
function checkSeries(what: string, a: ArrayLike<number>, b: ArrayLike<number>): void {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object' || typeof a.length !== 'number' || typeof b.length !== 'number') {
    throw new InputError(`${what}: expected two arrays of numbers`);
  }
  if (a.length !== b.length || a.length < 2) throw new InputError(`${what}: needs two series of equal length ≥ 2, got ${a.length} and ${b.length}`);
  for (const [name, s] of [['first', a], ['second', b]] as const) {
    for (let i = 0; i < s.length; i++) {
      if (!Number.isFinite(s[i])) throw new InputError(`${what}: the ${name} series holds ${String(s[i])} at index ${i}; expected finite numbers`);
    }
  }
}

/** Deviations from the mean, divided by their largest magnitude (no overflow when squared); null if constant. */
function scaledDeviations(s: ArrayLike<number>): Float64Array | null {
  const n = s.length;
  let constant = true;
  for (let i = 1; i < n && constant; i++) constant = s[i] === s[0];
  if (constant) return null;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += s[i]! / n;
  const d = new Float64Array(n);
  let max = 0;
  for (let i = 0; i < n; i++) { d[i] = s[i]! - mean; max = Math.max(max, Math.abs(d[i]!)); }
  for (let i = 0; i < n; i++) d[i]! /= max;
  return d;
}

function pearsonChecked(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = scaledDeviations(a), y = scaledDeviations(b);
  if (!x || !y) return NaN;
  let sab = 0, saa = 0, sbb = 0;
  for (let i = 0; i < x.length; i++) { sab += x[i]! * y[i]!; saa += x[i]! * x[i]!; sbb += y[i]! * y[i]!; }
  return Math.min(1, Math.max(-1, sab / Math.sqrt(saa * sbb)));
}

/** Pearson's product-moment correlation (contract above: finite inputs, NaN for a constant series). */
export function pearson(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkSeries('pearson', a, b);
  return pearsonChecked(a, b);
}

function ranksChecked(a: ArrayLike<number>): Float64Array {
  const idx = Array.from({ length: a.length }, (_, i) => i).sort((i, j) => a[i]! - a[j]!);
  const r = new Float64Array(a.length);
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && a[idx[j + 1]!] === a[idx[i]!]) j++;
    for (let k = i; k <= j; k++) r[idx[k]!] = (i + j) / 2 + 1;
    i = j + 1;
  }
  return r;
}

/** Ranks 1..n with ties sharing their average rank ("fractional ranking"); values must be finite. */
export function ranks(a: ArrayLike<number>): Float64Array {
  for (let i = 0; i < a.length; i++) {
    if (!Number.isFinite(a[i])) throw new InputError(`ranks: the series holds ${String(a[i])} at index ${i}; expected finite numbers`);
  }
  return ranksChecked(a);
}

/** Spearman's rank correlation: Pearson of the average ranks (ties share a rank). Contract above. */
export function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  checkSeries('spearman', a, b);
  return pearsonChecked(ranksChecked(a), ranksChecked(b));
}

/** Agreement of predicted and actual effects (e.g. influence vs LOO or PBRF): Pearson and Spearman. */
export function correlationReport(predicted: ArrayLike<number>, actual: ArrayLike<number>): { n: number; pearson: number; spearman: number } {
  return { n: predicted.length, pearson: pearson(predicted, actual), spearman: spearman(predicted, actual) };
}
