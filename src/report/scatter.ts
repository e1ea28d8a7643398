import { axes, extent, outerFences, scale, svg, symlogConstant, symlogInverse, symlogScale, symlogTransform, type Frame, type Scale } from './axes.js';
import { escapeHtml, fmt } from './escape.js';

export interface ScatterOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** Draw y = x (for predicted vs actual); both axes then share one range and scale. Default true. */
  diagonal?: boolean;
  /** A group per point (e.g. the test point): each distinct group gets a palette colour, in order of first appearance. */
  groups?: number[];
  /** What a group is, for the legend ("test point" → "test point 3"; plural with an s). Default "group". */
  groupName?: string;
  /** A tooltip per point (SVG <title>); default "x, y". */
  titles?: string[];
  /**
   * Axis scale: linear, symmetric-log sign(v)·log1p(|v|/c), or auto (default): symmetric-log when
   * some value lies outside Tukey's far-out fences (3 × IQR beyond the quartiles), else linear.
   */
  scale?: 'linear' | 'symlog' | 'auto';
  frame?: Frame;
}

export const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];

/** The scatter frame: wider than the default, with room on the right for the legend. */
export const SCATTER_FRAME: Frame = { width: 640, height: 400, left: 70, right: 170, top: 36, bottom: 50 };

interface AxisChoice { scale: Scale; lo: number; hi: number; c: number | null; outliers: Set<number> }

function axisFor(values: number[], mode: 'linear' | 'symlog' | 'auto', p0: number, p1: number): AxisChoice {
  const [f0, f1] = outerFences(values);
  const outliers = new Set<number>();
  values.forEach((v, i) => { if (Number.isFinite(v) && (v < f0 || v > f1)) outliers.add(i); });
  const useSymlog = mode === 'symlog' || (mode === 'auto' && outliers.size > 0);
  if (!useSymlog) {
    const [lo, hi] = extent(values);
    return { scale: scale(lo, hi, p0, p1), lo, hi, c: null, outliers };
  }
  const c = symlogConstant(values);
  const t = values.filter(Number.isFinite).map((v) => symlogTransform(v, c));
  const [tlo, thi] = extent(t);
  const lo = symlogInverse(tlo, c), hi = symlogInverse(thi, c);
  return { scale: symlogScale(lo, hi, p0, p1, c), lo, hi, c, outliers };
}

/**
 * An SVG scatter plot of (x, y) pairs, one <circle class="point"> each with a tooltip, the y = x line,
 * a legend of the group colours (and the diagonal), and — when an outlier would squash a linear axis —
 * symmetric-log axes with a visible <text class="scale-note"> saying so and how many points are outliers.
 */
export function scatterPlot(xs: ArrayLike<number>, ys: ArrayLike<number>, options: ScatterOptions): string {
  const base = options.frame ?? SCATTER_FRAME;
  const xv = Array.from(xs), yv = Array.from(ys);
  const mode = options.scale ?? 'auto';
  const diagonal = options.diagonal !== false;
  const ok = xv.map((v, i) => Number.isFinite(v) && Number.isFinite(yv[i]!));
  const xf = xv.filter((_, i) => ok[i]), yf = yv.filter((_, i) => ok[i]);
  // Decide the scales first (on the finite pairs) so that a note can claim room at the bottom.
  const probe = (vals: number[]) => axisFor(vals, mode, 0, 1);
  const px0 = diagonal ? probe([...xf, ...yf]) : probe(xf), py0 = diagonal ? px0 : probe(yf);
  const noted = px0.c !== null || py0.c !== null;
  const frame: Frame = noted ? { ...base, height: base.height + 18, bottom: base.bottom + 18 } : base;
  const xr: [number, number] = [frame.left, frame.width - frame.right], yr: [number, number] = [frame.height - frame.bottom, frame.top];
  let xa: AxisChoice, ya: AxisChoice;
  if (diagonal) {
    xa = axisFor([...xf, ...yf], mode, ...xr);
    ya = { ...xa, scale: xa.c === null ? scale(xa.lo, xa.hi, ...yr) : symlogScale(xa.lo, xa.hi, ...yr, xa.c) };
  } else {
    xa = axisFor(xf, mode, ...xr);
    ya = axisFor(yf, mode, ...yr);
  }
  const x = xa.scale, y = ya.scale;
  // The axis label sits above the note: axes() places it 10 px above its frame's bottom edge.
  let body = axes(noted ? { ...frame, height: frame.height - 18, bottom: frame.bottom - 18 } : frame, x, y, { x: options.xLabel, y: options.yLabel, title: options.title });
  if (diagonal) {
    const lo = Math.max(xa.lo, ya.lo), hi = Math.min(xa.hi, ya.hi);
    body += `<line class="diagonal" x1="${x(lo).toFixed(1)}" y1="${y(lo).toFixed(1)}" x2="${x(hi).toFixed(1)}" y2="${y(hi).toFixed(1)}" stroke="#999" stroke-dasharray="4 3"/>`;
  }

  // Colours: distinct groups in order of first appearance.
  const order = new Map<number, number>();
  for (let i = 0; i < xv.length; i++) if (ok[i]) { const g = options.groups?.[i] ?? 0; if (!order.has(g)) order.set(g, order.size); }
  const colourOf = (g: number) => PALETTE[(order.get(g) ?? 0) % PALETTE.length]!;
  for (let i = 0; i < xv.length; i++) {
    if (!ok[i]) continue;
    const title = options.titles?.[i] ?? `${fmt(xv[i]!)}, ${fmt(yv[i]!)}`;
    body += `<circle class="point" cx="${x(xv[i]!).toFixed(1)}" cy="${y(yv[i]!).toFixed(1)}" r="3" fill="${colourOf(options.groups?.[i] ?? 0)}" fill-opacity="0.7"><title>${escapeHtml(title)}</title></circle>`;
  }

  body += legend(frame, [...order.keys()], options.groups !== undefined, options.groupName ?? 'group', diagonal);

  if (noted) {
    // Count pairs with either coordinate outside the fences (indices are into the finite pairs).
    const nx = xf.length;
    const out = new Set<number>();
    if (diagonal) for (const i of xa.outliers) out.add(i % nx);
    else { for (const i of xa.outliers) out.add(i); for (const i of ya.outliers) out.add(i); }
    const cs = [...new Set([xa.c, ya.c].filter((c): c is number => c !== null))].map(fmt).join(' / ');
    const which = diagonal || (xa.c !== null && ya.c !== null) ? 'both axes' : xa.c !== null ? 'x axis' : 'y axis';
    const why = out.size > 0 ? `: ${out.size} outlier point${out.size === 1 ? '' : 's'} (beyond 3×IQR of the quartiles)` : '';
    body += `<text class="scale-note" x="${frame.left}" y="${frame.height - 8}" font-size="11" fill="#a33">Symmetric-log ${which}, sign(v)·log1p(|v|/c), c = ${escapeHtml(cs)}${escapeHtml(why)}</text>`;
  }
  return svg(frame, body, options.title, 'chart scatter');
}

/** The legend in the right margin: one swatch per colour (groups sharing a colour listed together) and the diagonal. */
function legend(frame: Frame, groups: number[], grouped: boolean, name: string, diagonal: boolean): string {
  const lx = frame.width - frame.right + 12;
  let ly = frame.top + 10;
  const parts: string[] = [`<g class="legend" font-size="11">`];
  if (grouped && groups.length > 0) {
    const colours = Math.min(groups.length, PALETTE.length);
    parts.push(`<text x="${lx}" y="${ly}" font-weight="bold">Colour = ${escapeHtml(name)}</text>`);
    ly += 16;
    for (let k = 0; k < colours; k++) {
      const members = groups.filter((_, j) => j % PALETTE.length === k);
      const shown = members.slice(0, 3).join(', ');
      const label = members.length === 1 ? `${name} ${members[0]}` : `${name}s ${shown}${members.length > 3 ? ` … (${members.length})` : ''}`;
      parts.push(`<g class="legend-item"><circle class="legend-swatch" cx="${lx + 5}" cy="${ly - 4}" r="4" fill="${PALETTE[k]}"/><text x="${lx + 14}" y="${ly}">${escapeHtml(label)}</text></g>`);
      ly += 15;
    }
    if (groups.length > PALETTE.length) {
      parts.push(`<text x="${lx}" y="${ly}" fill="#666">(colours repeat every ${PALETTE.length})</text>`);
      ly += 15;
    }
    ly += 4;
  }
  if (diagonal) {
    parts.push(`<g class="legend-item"><line x1="${lx}" y1="${ly - 4}" x2="${lx + 12}" y2="${ly - 4}" stroke="#999" stroke-dasharray="4 3"/><text x="${lx + 16}" y="${ly}">y = x (exact agreement)</text></g>`);
  }
  parts.push('</g>');
  return parts.join('');
}
