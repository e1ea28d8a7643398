import { escapeHtml, fmt } from './escape.js';

/**
 * An SVG heat map of an n×n matrix (similarities in [−1, 1]: blue negative, white 0, red
 * positive), one <rect class="cell"> per entry with its value as a tooltip.
 */
export function heatmap(values: ArrayLike<number>, n: number, options: { title: string; labels?: string[]; cell?: number }): string {
  const cell = options.cell ?? 16, left = 60, top = 34, size = n * cell;
  const width = left + size + 20, height = top + size + 20;
  let body = `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeHtml(options.title)}</text>`;
  for (let i = 0; i < n; i++) {
    if (options.labels?.[i]) body += `<text x="${left - 4}" y="${top + i * cell + cell * 0.7}" text-anchor="end" font-size="10">${escapeHtml(options.labels[i]!)}</text>`;
    for (let j = 0; j < n; j++) {
      const v = Math.max(-1, Math.min(1, values[i * n + j]!));
      const r = v >= 0 ? 255 : Math.round(255 * (1 + v)), b = v <= 0 ? 255 : Math.round(255 * (1 - v)), g = Math.round(255 * (1 - Math.abs(v)));
      body += `<rect class="cell" x="${left + j * cell}" y="${top + i * cell}" width="${cell}" height="${cell}" fill="rgb(${r},${g},${b})"><title>${escapeHtml(fmt(values[i * n + j]!))}</title></rect>`;
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" class="chart heatmap" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" font-family="sans-serif"><title>${escapeHtml(options.title)}</title>${body}</svg>`;
}
