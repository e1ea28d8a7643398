import { escapeHtml, fmt } from './escape.js';

/** A map from data to pixels on one axis, linear or log10, with tick positions. */
export interface Scale {
  (v: number): number;
  ticks: number[];
  log: boolean;
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
  for (const t of x.ticks) {
    const px = x(t);
    if (px < x0 - 0.5 || px > x1 + 0.5) continue;
    parts.push(`<line x1="${px.toFixed(1)}" y1="${y1}" x2="${px.toFixed(1)}" y2="${y0}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${px.toFixed(1)}" y="${y0 + 16}" text-anchor="middle" font-size="11">${escapeHtml(fmt(t))}</text>`);
  }
  for (const t of y.ticks) {
    const py = y(t);
    if (py > y0 + 0.5 || py < y1 - 0.5) continue;
    parts.push(`<line x1="${x0}" y1="${py.toFixed(1)}" x2="${x1}" y2="${py.toFixed(1)}" stroke="#e5e5e5"/>`);
    parts.push(`<text x="${x0 - 6}" y="${(py + 4).toFixed(1)}" text-anchor="end" font-size="11">${escapeHtml(fmt(t))}</text>`);
  }
  parts.push(`<rect x="${x0}" y="${y1}" width="${x1 - x0}" height="${y0 - y1}" fill="none" stroke="#444"/>`);
  parts.push(`<text x="${(x0 + x1) / 2}" y="${height - 10}" text-anchor="middle" font-size="12">${escapeHtml(labels.x)}</text>`);
  parts.push(`<text transform="translate(14 ${(y0 + y1) / 2}) rotate(-90)" text-anchor="middle" font-size="12">${escapeHtml(labels.y)}</text>`);
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeHtml(labels.title)}</text>`);
  return parts.join('');
}

/** The <svg> wrapper (role="img" with an accessible title). */
export function svg(frame: Frame, body: string, title: string, cls: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" class="${cls}" width="${frame.width}" height="${frame.height}" viewBox="0 0 ${frame.width} ${frame.height}" role="img" font-family="sans-serif"><title>${escapeHtml(title)}</title>${body}</svg>`;
}
