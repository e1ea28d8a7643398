import { tidy } from '../tidy.js';
import type { Tensor } from '../tensor.js';
import { isFiniteMask } from './elementwise.js';
import { min, sum } from './reduce.js';

/**
 * Whether every entry of x is finite (no NaN, no ±Inf), for input checks. One summation pass: a
 * sum is finite only if no entry is NaN or infinite, so a finite sum settles it without the
 * entry-by-entry mask (a pass that writes as much as it reads: on 60,000 images it cost more than
 * the GEMMs it guarded). Only a sum that is not finite — a NaN or Inf among the entries, or finite
 * entries that overflow — takes the exact check.
 */
export function allFinite(x: Tensor): boolean {
  if (x.size === 0 || x.dtype === 'int32') return true;
  return tidy(() => Number.isFinite(sum(x).item()) || min(isFiniteMask(x)).item() !== 0);
}
