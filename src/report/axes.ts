import { escapeHtml, fmt } from './escape.js';

/** A map from data to pixels on one axis, linear, log10 or symmetric-log, with tick positions. */
export interface Scale {
  (v: number): number;
  ticks: number[];
  log: boolean;
  /** The symmetric-log constant c when the scale is sign(v)·log1p(|v|/c), else undefined. */
  symlog?: number;
}

/** Round tick values covering [lo, hi] (1, 2, 5 × 10ᵏ steps; Heckbert, "Nice numbers for graph labels", Graphics Gems 1990). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) { const d = Math.abs(lo) || 1; lo -= d / 2; hi += d / 2; }
  const raw = (hi - lo) / count, mag = 10 ** Math.floor(Math.log10(raw)), norm = raw / mag;
  const step = (norm < 1.5 ? 1 : norm < 3 ? 2 : norm < 7 ? 5 : 10) * mag;
  const ticks: number[] = [];
  for (let t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) ticks.push(Math.abs(t) < step * 1e-9 ? 0 : t);
  return ticks;
}

/** Linear or log10 scale from [lo, hi] onto [p0, p1] pixels (log needs lo > 0). */
export function scale(lo: number, hi: number, p0: number, p1: number, log = false): Scale {
  let a = log ? Math.log10(lo) : lo, b = log ? Math.log10(hi) : hi;
  if (!(b > a)) { const d = Math.abs(a) * 0.1 || 1; a -= d; b += d; }
  const f = ((v: number) => p0 + ((((log ? Math.log10(v) : v) - a) / (b - a)) * (p1 - p0))) as Scale;
  f.log = log;
  f.ticks = log
    ? Array.from({ length: Math.floor(b) - Math.ceil(a) + 1 }, (_, i) => 10 ** (Math.ceil(a) + i))
    : niceTicks(a, b);
  if (log && f.ticks.length > 8) f.ticks = f.ticks.filter((_, i) => i % Math.ceil(f.ticks.length / 8) === 0);
  return f;
}

/** The symmetric-log transform sign(v)·log1p(|v|/c): linear near 0 (|v| ≪ c), logarithmic for |v| ≫ c. */
export function symlogTransform(v: number, c: number): number {
  return Math.sign(v) * Math.log1p(Math.abs(v) / c);
}

/** Its inverse, sign(t)·c·expm1(|t|). */
export function symlogInverse(t: number, c: number): number {
  return Math.sign(t) * c * Math.expm1(Math.abs(t));
}

/**
 * Symmetric-log scale from data [lo, hi] onto [p0, p1] pixels: t = sign(v)·log1p(|v|/c), linear in t.
 * Ticks at 0 and ±10ᵏ (k with c ≤ 10ᵏ inside the range), thinned to about 9.
 */
export function symlogScale(lo: number, hi: number, p0: number, p1: number, c: number): Scale {
  let a = symlogTransform(lo, c), b = symlogTransform(hi, c);
  if (!(b > a)) { a -= 1; b += 1; }
  const f = ((v: number) => p0 + ((symlogTransform(v, c) - a) / (b - a)) * (p1 - p0)) as Scale;
  f.log = false;
  f.symlog = c;
  const inside = (v: number) => { const t = symlogTransform(v, c); return t >= a - 1e-9 && t <= b + 1e-9; };
  const k0 = Math.floor(Math.log10(c) + 1e-9), k1 = Math.ceil(Math.log10(Math.max(Math.abs(lo), Math.abs(hi), c)));
  let powers: number[] = [];
  for (let k = k0; k <= k1; k++) powers.push(10 ** k);
  powers = powers.filter((p) => inside(p) || inside(-p));
  const perSide = (lo < 0 && hi > 0 ? 2 : 1);
  const stride = Math.max(1, Math.ceil((powers.length * perSide) / 8));
  // Keep the largest power and every stride-th one below it.
  powers = powers.filter((_, i) => (powers.length - 1 - i) % stride === 0);
  const ticks = [0, ...powers, ...powers.map((p) => -p)].filter(inside).sort((x, y) => x - y);
  f.ticks = ticks;
  return f;
}

/** The q-quantile (0 ≤ q ≤ 1) of finite values, by linear interpolation between order statistics. */
export function quantile(values: number[], q: number): number {
  const v = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const at = q * (v.length - 1), i = Math.floor(at), f = at - i;
  return i + 1 < v.length ? v[i]! * (1 - f) + v[i + 1]! * f : v[i]!;
}

/**
 * Tukey's far-out fences [Q1 − k·IQR, Q3 + k·IQR] (k = 3) of finite values: a value outside them is
 * an outlier that would squash the rest of a linear axis.
 */
export function outerFences(values: number[], k = 3): [number, number] {
  const q1 = quantile(values, 0.25), q3 = quantile(values, 0.75), iqr = q3 - q1;
  return [q1 - k * iqr, q3 + k * iqr];
}

/** The symmetric-log constant for values: the median nonzero |v| rounded down to a power of ten (1 if all are 0). */
export function symlogConstant(values: number[]): number {
  const m = quantile(values.filter((v) => Number.isFinite(v) && v !== 0).map(Math.abs), 0.5);
  return Number.isFinite(m) && m > 0 ? 10 ** Math.floor(Math.log10(m)) : 1;
}

/** Data range [min, max] of finite values (and > 0 for log), padded by `pad` of the span. */
export function extent(values: number[], log = false, pad = 0.05): [number, number] {
  const v = values.filter((x) => Number.isFinite(x) && (!log || x > 0));
  if (v.length === 0) return log ? [1e-3, 1] : [0, 1];
  let lo = Math.min(...v), hi = Math.max(...v);
  if (log) return [lo / 1.5, hi * 1.5];
  const span = hi - lo || Math.abs(hi) || 1;
  lo -= pad * span; hi += pad * span;
  return [lo, hi];
}

export interface Frame { width: number; height: number; left: number; right: number; top: number; bottom: number }

export const DEFAULT_FRAME: Frame = { width: 480, height: 360, left: 70, right: 20, top: 36, bottom: 50 };

/** Axes, grid lines, tick labels, axis labels and title as SVG elements. */
export function axes(frame: Frame, x: Scale, y: Scale, labels: { x: string; y: string; title: string }): string {
  const { width, height, left, right, top, bottom } = frame;
  const x0 = left, x1 = width - right, y0 = height - bottom, y1 = top;
  const parts: string[] = [];
  const xLabelled = labelled(x, (t) => x(t), 34), yLabelled = labelled(y, (t) => y(t), 14);
  for (const t of x.ticks) {
    const px = x(t);
    if (px < x0 - 0.5 || px > x1 + 0.5) continue;
    parts.push(`<line x1="${px.toFixed(1)}" y1="${y1}" x2="${px.toFixed(1)}" y2="${y0}" stroke="#e5e5e5"/>`);
    if (xLabelled.has(t)) parts.push(`<text x="${px.toFixed(1)}" y="${y0 + 16}" text-anchor="middle" font-size="11">${escapeHtml(fmt(t))}</text>`);
  }
  for (const t of y.ticks) {
    const py = y(t);
    if (py > y0 + 0.5 || py < y1 - 0.5) continue;
    parts.push(`<line x1="${x0}" y1="${py.toFixed(1)}" x2="${x1}" y2="${py.toFixed(1)}" stroke="#e5e5e5"/>`);
    if (yLabelled.has(t)) parts.push(`<text x="${x0 - 6}" y="${(py + 4).toFixed(1)}" text-anchor="end" font-size="11">${escapeHtml(fmt(t))}</text>`);
  }
  parts.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#444"/>`);
  parts.push(`<text x="${(x0 + x1) / 2}" y="${height - 10}" text-anchor="middle" font-size="12">${escapeHtml(labels.x)}</text>`);
  parts.push(`<text transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeHtml(labels.y)}</text>`);
  parts.push(`<text x="${(x0 + x1) / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeHtml(labels.title)}</text>`);
  return parts.join('');
}

/**
 * The ticks that get a label: on a symmetric-log axis the ticks near 0 crowd together, so labels are
 * placed by priority (0 first, then the largest magnitudes) and one closer than `gap` pixels to a
 * placed label is left as a grid line only. Other scales label every tick.
 */
function labelled(s: Scale, px: (t: number) => number, gap: number): Set<number> {
  if (s.symlog === undefined) return new Set(s.ticks);
  const order = [...s.ticks].sort((a, b) => (a === 0 ? -1 : b === 0 ? 1 : Math.abs(b) - Math.abs(a)));
  const placed: number[] = [];
  const keep = new Set<number>();
  for (const t of order) {
    const p = px(t);
    if (placed.every((q) => Math.abs(q - p) >= gap)) { placed.push(p); keep.add(t); }
  }
  return keep;
}

/** The <svg> wrapper (role="img" with an accessible title). */
export function svg(frame: Frame, body: string, title: string, cls: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="${cls}" width="${frame.width}" height="${frame.height}" viewBox="0 0 ${frame.width} ${frame.height}" role="img" font-family="sans-serif"><title>${escapeHtml(title)}</title>${body}</svg>`;
}
