import { axes, DEFAULT_FRAME, extent, scale, svg, type Frame } from './axes.js';
import { escapeHtml, fmt } from './escape.js';

export interface ScatterOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Draw y = x (for predicted vs actual). Default true. */
  diagonal?: boolean;
  /** A group per point (e.g. the test point), coloured from a fixed palette. */
  groups?: number[];
  frame?: Frame;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

/** An SVG scatter plot of (x, y) pairs, one <circle class="point"> each, with the y = x line. */
export function scatterPlot(xs: ArrayLike<number>, ys: ArrayLike<number>, options: ScatterOptions): string {
  const frame = options.frame ?? DEFAULT_FRAME;
  const xv = Array.from(xs), yv = Array.from(ys);
  const both = options.diagonal === false ? null : extent([...xv, ...yv]);
  const [xlo, xhi] = both ?? extent(xv), [ylo, yhi] = both ?? extent(yv);
  const x = scale(xlo, xhi, frame.left, frame.width - frame.right);
  const y = scale(ylo, yhi, frame.height - frame.bottom, frame.top);
  let body = axes(frame, x, y, { x: options.xLabel, y: options.yLabel, title: options.title });
  if (options.diagonal !== false) {
    const lo = Math.max(xlo, ylo), hi = Math.min(xhi, yhi);
    body += `<line class="diagonal" x1="${x(lo).toFixed(1)}" y1="${y(lo).toFixed(1)}" x2="${x(hi).toFixed(1)}" y2="${y(hi).toFixed(1)}" stroke="#999" stroke-dasharray="4 3"/>`;
  }
  for (let i = 0; i < xv.length; i++) {
    if (!Number.isFinite(xv[i]!) || !Number.isFinite(yv[i]!)) continue;
    const color = PALETTE[(options.groups?.[i] ?? 0) % PALETTE.length];
    body += `<circle class="point" cx="${x(xv[i]!).toFixed(1)}" cy="${y(yv[i]!).toFixed(1)}" r="3" fill="${color}" fill-opacity="0.7"><title>${escapeHtml(`${fmt(xv[i]!)}, ${fmt(yv[i]!)}`)}</title></circle>`;
  }
  return svg(frame, body, options.title, 'chart scatter');
}
