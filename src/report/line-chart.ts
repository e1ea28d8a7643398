import { axes, DEFAULT_FRAME, extent, scale, svg, type Frame } from './axes.js';
import { escapeHtml } from './escape.js';
import { PALETTE } from './scatter.js';

export interface Series { name: string; x: ArrayLike<number>; y: ArrayLike<number>; dashed?: boolean }

export interface LineChartOptions {
  title: string;
  xLabel: string;
  yLabel: string;
  /** log10 y axis (residual norms). */
  logY?: boolean;
  frame?: Frame;
}

/**
 * An SVG line chart, one <polyline class="series"> per series with a legend — convergence curves
 * (residual norm per iteration, log y) and detection curves (fraction found vs inspected).
 */
export function lineChart(series: Series[], options: LineChartOptions): string {
  const frame = options.frame ?? DEFAULT_FRAME;
  const logY = options.logY ?? false;
  const allX = series.flatMap((s) => Array.from(s.x)), allY = series.flatMap((s) => Array.from(s.y));
  const [xlo, xhi] = extent(allX, false, 0.02), [ylo, yhi] = extent(allY, logY);
  const x = scale(xlo, xhi, frame.left, frame.width - frame.right);
  const y = scale(ylo, yhi, frame.height - frame.bottom, frame.top, logY);
  let body = axes(frame, x, y, { x: options.xLabel, y: options.yLabel, title: options.title });
  series.forEach((s, k) => {
    const pts: string[] = [];
    for (let i = 0; i < s.x.length; i++) {
      const yy = s.y[i]!;
      if (!Number.isFinite(yy) || (logY && !(yy > 0))) continue;
      pts.push(`${x(s.x[i]!).toFixed(1)},${y(yy).toFixed(1)}`);
    }
    const color = PALETTE[k % PALETTE.length];
    body += `<polyline class="series" fill="none" stroke="${color}" stroke-width="1.5"${s.dashed ? ' stroke-dasharray="5 3"' : ''} points="${pts.join(' ')}"><title>${escapeHtml(s.name)}</title></polyline>`;
  });
  const shown = series.slice(0, 10);
  shown.forEach((s, k) => {
    const ly = frame.top + 12 + 14 * k, lx = frame.width - frame.right - 150;
    body += `<line x1="${lx}" y1="${ly - 4}" x2="${lx + 18}" y2="${ly - 4}" stroke="${PALETTE[k % PALETTE.length]}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5 3"' : ''}/>`;
    body += `<text x="${lx + 22}" y="${ly}" font-size="11">${escapeHtml(s.name)}</text>`;
  });
  if (series.length > shown.length) body += `<text x="${frame.width - frame.right - 150}" y="${frame.top + 12 + 14 * shown.length}" font-size="11">… ${series.length - shown.length} more</text>`;
  return svg(frame, body, options.title, 'chart line');
}
