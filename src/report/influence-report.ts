import { escapeHtml, fmt } from './escape.js';
import { lineChart } from './line-chart.js';
import { htmlPage, type Section } from './page.js';
import { scatterPlot } from './scatter.js';

/** What the report renders: the parts of an influence summary it reads (src/cli/summary.ts). */
export interface ReportInput {
  title?: string;
  model: { arch: string; activation: string | null; description?: string; loss: string; weightDecay: number; parameters: number; path?: string };
  data: unknown;
  hessian: string;
  solver: string;
  damping: number;
  shapes: { parameters: number; train: number; test: number };
  labels: { train: Readonly<Record<number, number>> | null; test: number[] | null };
  solve: { method: string; iterations: number[]; residualNorms: number[]; converged: boolean; histories: number[][] } | null;
  top: { test: number; helpful: { index: number; score: number; predictedDelta: number }[]; harmful: { index: number; score: number; predictedDelta: number }[] }[] | null;
  self: { top: { index: number; score: number }[] } | null;
  validation: { kind: string; method: string; pairs: { test: number; train: number; predicted: number; actual: number }[]; pearson: number; spearman: number; retrained: number } | null;
  timings: Record<string, number>;
}

/** Thumbnails as data: URLs (or null when the inputs are not images) and class names. */
export interface ReportImages {
  train?: (index: number) => string | null;
  test?: (index: number) => string | null;
  classNames?: readonly string[];
}

const img = (url: string | null | undefined, alt: string): string =>
  url ? `<td class="img"><img class="thumb" src="${url}" alt="${escapeHtml(alt)}" width="42" height="42"></td>` : '';

/**
 * The HTML report of an influence run (self-contained: inline SVG charts and PNG data: URLs):
 * predicted vs actual scatter (when validated), the most helpful and harmful training points of
 * each test point with their images, self-influence ranking, and solver convergence curves.
 */
export function renderInfluenceReport(s: ReportInput, images: ReportImages = {}): string {
  const label = (l: number | null | undefined): string => (l === null || l === undefined ? '' : images.classNames?.[l] ?? String(l));
  const trainLabel = (i: number) => label(s.labels.train?.[i]);
  const testLabel = (i: number) => label(s.labels.test?.[i]);
  const sections: Section[] = [];
  const meta = [
    ['model', `${s.model.arch} (${s.model.activation}), ${s.model.loss}, weight decay ${s.model.weightDecay}, ${s.model.parameters} parameters`],
    ['data', `${s.shapes.train} training points, ${s.shapes.test} test points — ${JSON.stringify(s.data)}`],
    ['curvature', `${s.hessian}${s.damping ? ` + ${s.damping}·I` : ''}, solver ${s.solver}`],
    ...(s.solve ? [['solves', `${s.solve.iterations.length} test points, iterations ${summarise(s.solve.iterations)}, max residual ${fmt(Math.max(...s.solve.residualNorms))}, ${s.solve.converged ? 'all converged' : 'NOT all converged'}`]] : []),
    ['timings', Object.entries(s.timings).map(([k, v]) => `${k.replace(/Seconds$/, '')} ${v.toFixed(2)} s`).join(', ')],
  ];
  const intro = `<table class="meta">${meta.map(([k, v]) => `<tr><th>${escapeHtml(k!)}</th><td style="text-align:left">${escapeHtml(v!)}</td></tr>`).join('')}</table>`;

  if (s.validation && s.validation.pairs.length > 0) {
    const v = s.validation;
    const chart = scatterPlot(v.pairs.map((p) => p.actual), v.pairs.map((p) => p.predicted), {
      title: `Predicted vs actual (${v.kind.toUpperCase()})`, xLabel: `actual Δ test loss (${v.kind === 'pbrf' ? 'PBRF' : 'retrained'})`,
      yLabel: 'predicted Δ test loss (−I_up,loss/N)', groups: v.pairs.map((p) => p.test),
    });
    sections.push({
      id: 'validation', title: 'Predicted vs actual change of test loss',
      html: `<p>${v.pairs.length} (test, training point) pairs, ${v.retrained} retrainings by ${escapeHtml(v.method)}; colour = test point.
Pearson r = <b class="pearson">${v.pearson.toFixed(4)}</b>, Spearman ρ = <b>${v.spearman.toFixed(4)}</b>.</p><div class="charts">${chart}</div>`,
    });
  }

  if (s.top) {
    const rows = s.top.map((t) => {
      const head = `<h3>Test point ${t.test}${testLabel(t.test) ? ` (${escapeHtml(testLabel(t.test))})` : ''}</h3>`;
      const testImg = images.test?.(t.test);
      const k = Math.max(t.helpful.length, t.harmful.length);
      let body = '';
      for (let r = 0; r < k; r++) {
        const h = t.helpful[r], m = t.harmful[r];
        const cell = (e: typeof h, kind: string) => e
          ? `${img(images.train?.(e.index), `${kind} training point ${e.index}`)}<td>${e.index}</td><td>${escapeHtml(trainLabel(e.index))}</td><td>${fmt(e.score)}</td><td>${fmt(e.predictedDelta)}</td>`
          : `${images.train ? '<td></td>' : ''}<td></td><td></td><td></td><td></td>`;
        body += `<tr><td>${r + 1}</td>${cell(h, 'helpful')}${cell(m, 'harmful')}</tr>`;
      }
      const imgTh = images.train ? '<th>image</th>' : '';
      return `${head}${testImg ? `<img class="thumb" src="${testImg}" alt="test point ${t.test}" width="56" height="56">` : ''}
<table class="influence" data-test="${t.test}"><tr><th rowspan="2">rank</th><th colspan="${images.train ? 5 : 4}">most helpful (removing raises the test loss)</th><th colspan="${images.train ? 5 : 4}">most harmful (removing lowers the test loss)</th></tr>
<tr>${imgTh}<th>index</th><th>label</th><th>I_up,loss</th><th>pred. Δloss</th>${imgTh}<th>index</th><th>label</th><th>I_up,loss</th><th>pred. Δloss</th></tr>${body}</table>`;
    });
    sections.push({ id: 'top', title: 'Most helpful and harmful training points', html: rows.join('\n') });
  }

  if (s.self && s.self.top.length > 0) {
    const body = s.self.top.map((e, r) => `<tr><td>${r + 1}</td>${img(images.train?.(e.index), `training point ${e.index}`)}<td>${e.index}</td><td>${escapeHtml(trainLabel(e.index))}</td><td>${fmt(e.score)}</td></tr>`).join('');
    sections.push({
      id: 'self', title: 'Highest self-influence (candidates for mislabelled or atypical points)',
      html: `<table class="self"><tr><th>rank</th>${images.train ? '<th>image</th>' : ''}<th>index</th><th>label</th><th>∇ℓᵀH⁻¹∇ℓ</th></tr>${body}</table>`,
    });
  }

  if (s.solve && s.solve.histories.length > 0) {
    const series = s.solve.histories.map((h, i) => ({ name: s.solve!.histories.length === 1 && s.solve!.method === 'block-cg' ? 'block (max over columns)' : `test point ${i}`, x: h.map((_, k) => k), y: h }));
    sections.push({
      id: 'convergence', title: `Convergence of ${s.solve.method}`,
      html: `<div class="charts">${lineChart(series, { title: `${s.solve.method}: residual norm per iteration`, xLabel: 'iteration', yLabel: '‖b − A·x‖', logY: true })}</div>`,
    });
  }
  return htmlPage(s.title ?? 'curvature influence report', intro, sections);
}

function summarise(v: number[]): string {
  if (v.length === 0) return '—';
  const lo = Math.min(...v), hi = Math.max(...v);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}
