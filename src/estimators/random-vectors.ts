import type { FloatDType } from '../backend/types.js';
import { InputError } from '../errors.js';
import { tensor } from '../tensor/index.js';
import type { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';

/**
 * Probe vectors for the randomized estimators. Every estimator draws its probes from one seeded
 * `Random` stream in a fixed order — probe i takes the next n draws — so a result depends only on
 * the seed (and the sample count), never on how many probes are applied per operator call.
 */
export type ProbeDistribution = 'rademacher' | 'gaussian';

export function checkDistribution(what: string, d: string): ProbeDistribution {
  if (d !== 'rademacher' && d !== 'gaussian') throw new InputError(`${what}: distribution must be 'rademacher' or 'gaussian', got '${d}'`);
  return d;
}

/** Fills `out[offset + i·stride]`, i < n, with the next n draws of `distribution` (±1 or N(0, 1)). */
export function fillProbe(rng: Random, distribution: ProbeDistribution, out: Float64Array, n: number, offset = 0, stride = 1): void {
  if (distribution === 'rademacher') {
    for (let i = 0; i < n; i++) out[offset + i * stride] = (rng.nextUint32() & 0x80000000) === 0 ? 1 : -1;
  } else {
    for (let i = 0; i < n; i++) out[offset + i * stride] = rng.normal();
  }
}

/**
 * The next `count` probes as the columns of a host array [n, count] (row-major, like a tensor)
 * and as a tensor of `dtype`. Column j holds probe j's n consecutive draws.
 */
export function probeBlock(rng: Random, distribution: ProbeDistribution, n: number, count: number, dtype: FloatDType): { host: Float64Array; block: Tensor } {
  const host = new Float64Array(n * count);
  for (let j = 0; j < count; j++) fillProbe(rng, distribution, host, n, j, count);
  return { host, block: tensor(host, [n, count], dtype) };
}

/**
 * A well-mixed 32-bit seed for stream `index` of a family seeded by `seed` (the murmur3
 * finaliser of a golden-ratio combination), so that row i of a pseudo-random projection can be
 * regenerated on its own, on the fly (003, appendix D: "the projector Φ is generated on-the-fly
 * using a single integer number seed").
 */
export function streamSeed(seed: number, index: number): number {
  let h = (Math.imul(seed >>> 0, 0x9e3779b1) ^ Math.imul((index + 1) >>> 0, 0x85ebca77)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Unit roundoff of a float dtype (2⁻⁵³ or 2⁻²⁴). */
export function unitRoundoff(dtype: FloatDType): number {
  return dtype === 'float64' ? 2 ** -53 : 2 ** -24;
}

/** Throws InputError unless `value` is an integer in [min, max]. */
export function checkInteger(what: string, name: string, value: unknown, min: number, max = Infinity): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InputError(`${what}: ${name} must be an integer in [${min}, ${max === Infinity ? '∞' : max}], got ${String(value)}`);
  }
  return value;
}

/** The sample mean and the standard error of the mean, s/√m with the (m − 1) sample variance. */
export function meanAndStandardError(values: ArrayLike<number>): { mean: number; standardError: number } {
  const m = values.length;
  let mean = 0;
  for (let i = 0; i < m; i++) mean += values[i]!;
  mean /= m;
  let ss = 0;
  for (let i = 0; i < m; i++) ss += (values[i]! - mean) ** 2;
  return { mean, standardError: m > 1 ? Math.sqrt(ss / (m - 1) / m) : NaN };
}
