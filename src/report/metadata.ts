import { escapeHtml, fmt } from './escape.js';

/** Arrays of objects longer than this are summarised ("N entries") rather than flattened entry by entry. */
const MAX_OBJECT_ENTRIES = 4;
/** Arrays of scalars longer than this are summarised ("N values, min – max"). */
const MAX_SCALARS = 12;

/** A value for a table cell: integers in full, other numbers to 4 significant digits, seconds with a unit. */
export function formatValue(key: string, v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') {
    if (/seconds$/i.test(key) && Number.isFinite(v)) return `${v < 10 ? v.toFixed(2) : v.toFixed(1)} s`;
    if (Number.isInteger(v)) return String(v);
    if (!Number.isFinite(v)) return String(v);
    const a = Math.abs(v);
    return a < 1e-3 || a >= 1e6 ? v.toExponential(3).replace(/\.?0+e/, 'e').replace('e+', 'e') : String(Number(v.toPrecision(4)));
  }
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (typeof v === 'string') return v;
  if (typeof v === 'bigint') return v.toString();
  return String(v);
}

const isScalar = (v: unknown) => v === null || ['number', 'string', 'boolean', 'bigint', 'undefined'].includes(typeof v);

/**
 * Nested objects flattened to [dotted key, display value] rows: { solverOptions: { rtol: 1e-6 } } →
 * ["solverOptions.rtol", "1e-6"]. Short arrays of scalars are joined; long ones summarised; short
 * arrays of objects flattened by index; undefined values dropped; empty objects shown as "—".
 */
export function flatten(value: unknown, prefix = ''): [string, string][] {
  if (value === undefined) return [];
  if (isScalar(value)) return [[prefix || 'value', formatValue(prefix, value)]];
  if (Array.isArray(value)) {
    if (value.every(isScalar)) {
      if (value.length <= MAX_SCALARS) return [[prefix, value.length === 0 ? '—' : value.map((v) => formatValue(prefix, v)).join(', ')]];
      const nums = value.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
      const range = nums.length === value.length ? `, ${fmt(Math.min(...nums))} – ${fmt(Math.max(...nums))}` : '';
      return [[prefix, `${value.length} values${range}`]];
    }
    if (value.length > MAX_OBJECT_ENTRIES) return [[prefix, `${value.length} entries`]];
    return value.flatMap((v, i) => flatten(v, prefix ? `${prefix}.${i}` : String(i)));
  }
  const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
  if (entries.length === 0) return prefix ? [[prefix, '—']] : [];
  return entries.flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
}

/** An HTML table of flattened metadata: a row header (the dotted key) and its value per row, all escaped. */
export function metadataTable(value: unknown, caption: string): string {
  const rows = flatten(value).map(([k, v]) => `<tr><th scope="row"><code>${escapeHtml(k)}</code></th><td>${escapeHtml(v)}</td></tr>`).join('');
  return `<table class="metadata"><caption>${escapeHtml(caption)}</caption><thead><tr><th scope="col">key</th><th scope="col">value</th></tr></thead><tbody>${rows}</tbody></table>`;
}
