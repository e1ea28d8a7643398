/**
 * The CLI's parsed flags: long names (without `--`) to their string or boolean values, and which
 * of them the user actually typed (defaults are applied later, in code, so "given" is knowable:
 * a model file's metadata and solver-specific flags depend on it).
 */
import { InputError } from '../errors.js';
import type { DType } from '../backend/types.js';

export type Flags = Record<string, string | boolean | undefined>;

/** A flag's value, or `fallback` when it was not given. */
export function flag(flags: Flags, name: string, fallback?: string): string | undefined {
  const v = flags[name];
  return typeof v === 'string' ? v : fallback;
}

export function required(flags: Flags, name: string, why = ''): string {
  const v = flags[name];
  if (typeof v !== 'string' || v === '') throw new InputError(`missing required flag --${name}${why ? ` (${why})` : ''}`);
  return v;
}

export interface NumberRule { integer?: boolean; min?: number; max?: number; default?: number }

/** A numeric flag, checked against `rule`; the default when absent (an error when there is none). */
export function numberFlag(flags: Flags, name: string, rule: NumberRule = {}): number {
  const raw = flags[name];
  if (raw === undefined) {
    if (rule.default !== undefined) return rule.default;
    throw new InputError(`missing required flag --${name}`);
  }
  return parseNumber(`--${name}`, String(raw), rule);
}

export function parseNumber(what: string, raw: string, rule: NumberRule = {}): number {
  const v = raw.trim() === '' ? NaN : Number(raw);
  const bad = !Number.isFinite(v) || (rule.integer && !Number.isInteger(v))
    || (rule.min !== undefined && v < rule.min) || (rule.max !== undefined && v > rule.max);
  if (bad) {
    const range = [rule.min !== undefined ? `≥ ${rule.min}` : '', rule.max !== undefined ? `≤ ${rule.max}` : ''].filter(Boolean).join(' and ');
    throw new InputError(`${what}: expected ${rule.integer ? 'an integer' : 'a finite number'}${range ? ` ${range}` : ''}, got '${raw}'`);
  }
  return v;
}

/** One of `choices` (own keys only: '__proto__' or 'toString' are not choices). */
export function choiceFlag<T extends string>(flags: Flags, name: string, choices: readonly T[], fallback?: T): T {
  const raw = flags[name];
  if (raw === undefined && fallback !== undefined) return fallback;
  if (typeof raw !== 'string' || !(choices as readonly string[]).includes(raw)) {
    throw new InputError(`--${name}: expected one of ${choices.join(', ')}, got ${raw === undefined ? 'nothing' : `'${String(raw)}'`}`);
  }
  return raw as T;
}

export function dtypeFlag(flags: Flags): DType {
  return choiceFlag(flags, 'dtype', ['float64', 'float32'], 'float64');
}
