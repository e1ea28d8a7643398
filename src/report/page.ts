import { escapeHtml } from './escape.js';

export interface Section { title: string; html: string; id?: string }

/** A self-contained HTML document (inline CSS, no scripts, no external resources). */
export function htmlPage(title: string, intro: string, sections: Section[]): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font-family:sans-serif;margin:2em auto;max-width:1100px;color:#222;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.2em;border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ddd;padding:3px 6px;font-size:13px;text-align:right;vertical-align:middle}
th{background:#f4f4f4}td.img{padding:1px}img.thumb{image-rendering:pixelated;display:block}
.charts{display:flex;flex-wrap:wrap;gap:1em}.meta{color:#555;font-size:13px}code{background:#f4f4f4;padding:0 3px}
caption{text-align:left;font-size:13px;color:#555;padding:.2em 0}table.metadata td,table.metadata th{text-align:left}
table.metadata th code{background:none}tr.wrong td{background:#fdecea}p.prediction{font-size:14px;margin:.2em 0 .5em}p.prediction.wrong b{color:#b00}
.note{color:#666;font-size:13px}
</style></head>
<body>
<h1>${escapeHtml(title)}</h1>
${intro}
${sections.map((s) => `<section${s.id ? ` id="${escapeHtml(s.id)}"` : ''}><h2>${escapeHtml(s.title)}</h2>\n${s.html}</section>`).join('\n')}
</body></html>
`;
}
