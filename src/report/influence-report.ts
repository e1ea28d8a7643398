import { escapeHtml, fmt } from './escape.js';
import { lineChart } from './line-chart.js';
import { metadataTable } from './metadata.js';
import { htmlPage, type Section } from './page.js';
import { scatterPlot } from './scatter.js';

/** The model on one test point (src/cli/summary.ts TestPointSummary). */
export interface ReportTestPoint { index: number; label: number | null; predicted: number; probability: number | null; loss: number }

/**
 * What the report renders: the parts of an influence summary it reads (src/cli/summary.ts). Fields
 * marked optional are absent from older summaries and render gracefully without them.
 */
export interface ReportInput {
  title?: string;
  backend?: string;
  dtype?: string;
  model: { arch: string; activation?: string | null; description?: string; loss: string; weightDecay: number; parameters: number; path?: string };
  data: unknown;
  hessian: string;
  solver: string;
  damping: number;
  solverOptions?: Record<string, unknown>;
  shapes: { parameters: number; train: number; test: number; scores?: [number, number] | null };
  exact?: boolean;
  converged?: boolean | null;
  approximation?: Record<string, unknown> | null;
  labels: { train: Readonly<Record<number, number>> | null; test: number[] | null };
  testPoints?: ReportTestPoint[] | null;
  solve: { method: string; solves?: number; iterations: number[]; residualNorms: number[]; converged: boolean | null; histories: number[][]; info?: Record<string, unknown>[] } | null;
  top: { test: number; helpful: { index: number; score: number; predictedDelta: number }[]; harmful: { index: number; score: number; predictedDelta: number }[] }[] | null;
  self: { top: { index: number; score: number }[]; solves?: number; converged?: boolean | null; out?: string | null } | null;
  validation: { kind: string; method: string; pairs: { test: number; train: number; predicted: number; actual: number }[]; pearson: number; spearman: number; retrained: number; maxGradNorm?: number; seconds?: number } | null;
  timings: Record<string, number>;
  out?: string | null;
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
 * One line describing the model: model.description when the summary has it, else from arch (and the
 * activation only when there is a hidden layer: a model without one has no activation to name).
 */
export function describeModel(m: ReportInput['model']): string {
  if (m.description) return m.description;
  const layers = m.arch.split(/[,\s]+/).filter(Boolean);
  if (layers.length <= 2) {
    const kind = /bce|logistic|binary/i.test(m.loss) ? 'logistic regression' : /cross.?entropy|softmax/i.test(m.loss) ? 'softmax regression' : /mse|squared/i.test(m.loss) ? 'linear regression' : 'linear model';
    return `${kind} ${layers.join(' → ')}`;
  }
  return `MLP ${layers.join('-')}${m.activation ? `, ${m.activation}` : ''}`;
}

/** The data source in words (src/cli/data-args.ts DataSource), '' when unknown. */
export function describeData(d: unknown): string {
  if (typeof d !== 'object' || d === null) return '';
  const kind = (d as { kind?: unknown }).kind;
  if (kind === 'fashion-mnist') return 'Fashion-MNIST';
  if (kind === 'breast-cancer') return 'Wisconsin breast cancer';
  if (kind === 'npy') return `.npy files (${String((d as { trainX?: unknown }).trainX ?? '')})`;
  return typeof kind === 'string' ? kind : '';
}

/**
 * The HTML report of an influence run (self-contained: inline SVG charts and PNG data: URLs): an
 * overview, the model's prediction and loss on each test point, predicted vs actual scatter (when
 * validated), the most helpful and harmful training points of each test point with their images,
 * self-influence ranking, solver convergence curves, and the run's metadata as a table.
 */
export function renderInfluenceReport(s: ReportInput, images: ReportImages = {}): string {
  const label = (l: number | null | undefined): string => (l === null || l === undefined ? '' : images.classNames?.[l] ?? String(l));
  const trainLabel = (i: number) => label(s.labels.train?.[i]);
  const testLabel = (i: number) => label(s.labels.test?.[i]);
  const regression = /mse|squared/i.test(s.model.loss);
  const points = new Map((s.testPoints ?? []).map((tp) => [tp.index, tp]));
  const trueLabel = (tp: ReportTestPoint) => (tp.label === null ? testLabel(tp.index) : label(tp.label));
  const predictedText = (tp: ReportTestPoint) => (regression ? fmt(tp.predicted) : label(tp.predicted));
  const isCorrect = (tp: ReportTestPoint): boolean | null => (regression || tp.label === null ? null : tp.predicted === tp.label);
  const sections: Section[] = [];

  const overview: [string, string][] = [
    ['model', `${describeModel(s.model)}; loss ${s.model.loss}, weight decay ${s.model.weightDecay}, ${s.model.parameters} parameters`],
    ['data', `${s.shapes.train} training points, ${s.shapes.test} test points${describeData(s.data) ? ` (${describeData(s.data)})` : ''}`],
    ['curvature', `${s.hessian}${s.damping ? ` + ${s.damping}·I` : ''}, solver ${s.solver}`],
  ];
  if (s.solve) overview.push(['solves', `${s.solve.iterations.length} test points, iterations ${summarise(s.solve.iterations)}, max residual ${fmt(Math.max(...s.solve.residualNorms))}, ${s.solve.converged === null ? 'approximate method (no tolerance to converge to)' : s.solve.converged ? 'all converged' : 'NOT all converged'}`]);
  if (s.testPoints && s.testPoints.length > 0) {
    const judged = s.testPoints.map(isCorrect).filter((c): c is boolean => c !== null);
    const meanLoss = s.testPoints.reduce((a, tp) => a + tp.loss, 0) / s.testPoints.length;
    overview.push(['test points', `${judged.length > 0 ? `${judged.filter(Boolean).length} of ${judged.length} predicted correctly, ` : ''}mean loss ${fmt(meanLoss)}`]);
  }
  const intro = `<table class="meta"><caption>Overview</caption>${overview.map(([k, v]) => `<tr><th scope="row">${escapeHtml(k)}</th><td style="text-align:left">${escapeHtml(v)}</td></tr>`).join('')}</table>`;

  // The model on each test point: prediction, probability and loss (when the summary records them).
  const testRows = s.testPoints ?? s.top?.map((t) => ({ index: t.test })) ?? [];
  if (testRows.length > 0) {
    const full = s.testPoints ? s.testPoints : null;
    const withProb = full?.some((tp) => tp.probability !== null) ?? false;
    const judged = full?.some((tp) => isCorrect(tp) !== null) ?? false;
    const head = `<tr><th scope="col">test point</th><th scope="col">true label</th>${full ? `<th scope="col">predicted</th>${withProb ? '<th scope="col">probability</th>' : ''}<th scope="col">loss</th>${judged ? '<th scope="col">correct</th>' : ''}` : ''}</tr>`;
    const body = full
      ? full.map((tp) => {
        const c = isCorrect(tp);
        return `<tr${c === false ? ' class="wrong"' : ''}><td>${tp.index}</td><td>${escapeHtml(trueLabel(tp))}</td><td>${escapeHtml(predictedText(tp))}</td>${withProb ? `<td>${tp.probability === null ? '' : tp.probability.toFixed(3)}</td>` : ''}<td>${escapeHtml(fmt(tp.loss))}</td>${judged ? `<td>${c === null ? '' : c ? 'yes' : 'no'}</td>` : ''}</tr>`;
      }).join('')
      : testRows.map((t) => `<tr><td>${t.index}</td><td>${escapeHtml(testLabel(t.index))}</td></tr>`).join('');
    sections.push({
      id: 'test-points', title: 'The model on the test points',
      html: `${full ? '' : '<p class="note">This summary records no predictions or losses for the test points (written by an older curvature).</p>'}<table class="test-points"><caption>${full ? `Prediction${withProb ? ', its probability' : ''} and per-example loss at the true target` : 'True labels'}</caption>${head}${body}</table>`,
    });
  }

  if (s.validation && s.validation.pairs.length > 0) {
    const v = s.validation;
    const titles = v.pairs.map((p) => {
      const tl = testLabel(p.test), rl = trainLabel(p.train);
      return `test point ${p.test}${tl ? ` (${tl})` : ''}, training point ${p.train}${rl ? ` (${rl})` : ''}: predicted Δ ${fmt(p.predicted)}, actual Δ ${fmt(p.actual)}`;
    });
    const chart = scatterPlot(v.pairs.map((p) => p.actual), v.pairs.map((p) => p.predicted), {
      title: `Predicted vs actual (${v.kind.toUpperCase()})`, xLabel: `actual Δ test loss (${v.kind === 'pbrf' ? 'PBRF' : 'retrained'})`,
      yLabel: 'predicted Δ test loss (−I_up,loss/N)', groups: v.pairs.map((p) => p.test), groupName: 'test point', titles,
    });
    sections.push({
      id: 'validation', title: 'Predicted vs actual change of test loss',
      html: `<p>${v.pairs.length} (test, training point) pairs, ${v.retrained} retrainings by ${escapeHtml(v.method)}; colour = test point (see the legend); hover a point for its test and training indices.
Pearson r = <b class="pearson">${v.pearson.toFixed(4)}</b>, Spearman ρ = <b>${v.spearman.toFixed(4)}</b>.</p><div class="charts">${chart}</div>`,
    });
  }

  if (s.top) {
    const rows = s.top.map((t) => {
      const tp = points.get(t.test);
      const truth = tp ? trueLabel(tp) : testLabel(t.test);
      const head = `<h3>Test point ${t.test}${truth ? ` (${escapeHtml(truth)})` : ''}</h3>`;
      const c = tp ? isCorrect(tp) : null;
      const prediction = tp
        ? `<p class="prediction${c === false ? ' wrong' : ''}">true label <b>${escapeHtml(truth || '—')}</b>; predicted <b>${escapeHtml(predictedText(tp))}</b>${tp.probability === null ? '' : ` (probability ${tp.probability.toFixed(3)})`}${c === null ? '' : c ? ', correct' : ', wrong'}; loss ${escapeHtml(fmt(tp.loss))}</p>`
        : '';
      const testImg = images.test?.(t.test);
      const k = Math.max(t.helpful.length, t.harmful.length);
      let body = '';
      for (let r = 0; r < k; r++) {
        const h = t.helpful[r], m = t.harmful[r];
        const cell = (e: typeof h, kind: string) => e
          ? `${img(images.train?.(e.index), `${kind} training point ${e.index}${trainLabel(e.index) ? ` (${trainLabel(e.index)})` : ''}`)}<td>${e.index}</td><td>${escapeHtml(trainLabel(e.index))}</td><td>${fmt(e.score)}</td><td>${fmt(e.predictedDelta)}</td>`
          : `${images.train ? '<td></td>' : ''}<td></td><td></td><td></td><td></td>`;
        body += `<tr><td>${r + 1}</td>${cell(h, 'helpful')}${cell(m, 'harmful')}</tr>`;
      }
      const imgTh = images.train ? '<th scope="col">image</th>' : '';
      const cols = `${imgTh}<th scope="col">index</th><th scope="col">label</th><th scope="col">I_up,loss</th><th scope="col">pred. Δloss</th>`;
      return `${head}${prediction}${testImg ? `<img class="thumb" src="${testImg}" alt="${escapeHtml(`test point ${t.test}${truth ? ` (${truth})` : ''}`)}" width="56" height="56">` : ''}
<table class="influence" data-test="${t.test}"><tr><th scope="col" rowspan="2">rank</th><th scope="colgroup" colspan="${images.train ? 5 : 4}">most helpful (removing raises the test loss)</th><th scope="colgroup" colspan="${images.train ? 5 : 4}">most harmful (removing lowers the test loss)</th></tr>
<tr>${cols}${cols}</tr>${body}</table>`;
    });
    sections.push({ id: 'top', title: 'Most helpful and harmful training points', html: rows.join('\n') });
  }

  if (s.self && s.self.top.length > 0) {
    const body = s.self.top.map((e, r) => `<tr><td>${r + 1}</td>${img(images.train?.(e.index), `training point ${e.index}${trainLabel(e.index) ? ` (${trainLabel(e.index)})` : ''}`)}<td>${e.index}</td><td>${escapeHtml(trainLabel(e.index))}</td><td>${fmt(e.score)}</td></tr>`).join('');
    sections.push({
      id: 'self', title: 'Highest self-influence (candidates for mislabelled or atypical points)',
      html: `<table class="self"><tr><th scope="col">rank</th>${images.train ? '<th scope="col">image</th>' : ''}<th scope="col">index</th><th scope="col">label</th><th scope="col">∇ℓᵀH⁻¹∇ℓ</th></tr>${body}</table>`,
    });
  }

  if (s.solve && s.solve.histories.length > 0) {
    const series = s.solve.histories.map((h, i) => ({ name: s.solve!.histories.length === 1 && s.solve!.method === 'block-cg' ? 'block (max over columns)' : `test point ${i}`, x: h.map((_, k) => k), y: h }));
    sections.push({
      id: 'convergence', title: `Convergence of ${s.solve.method}`,
      html: `<div class="charts">${lineChart(series, { title: `${s.solve.method}: residual norm per iteration`, xLabel: 'iteration', yLabel: '‖b − A·x‖', logY: true })}</div>`,
    });
  }

  const metadata = {
    backend: s.backend, dtype: s.dtype, model: s.model, data: s.data,
    hessian: s.hessian, solver: s.solver, damping: s.damping, solverOptions: s.solverOptions,
    shapes: s.shapes, exact: s.exact, converged: s.converged, approximation: s.approximation ?? undefined,
    solve: s.solve ? { method: s.solve.method, solves: s.solve.solves, converged: s.solve.converged, iterations: s.solve.iterations, residualNorms: s.solve.residualNorms, info: s.solve.info } : undefined,
    self: s.self ? { solves: s.self.solves, converged: s.self.converged, listed: s.self.top.length, out: s.self.out } : undefined,
    validation: s.validation ? { kind: s.validation.kind, method: s.validation.method, pairs: s.validation.pairs.length, retrained: s.validation.retrained, pearson: s.validation.pearson, spearman: s.validation.spearman, maxGradNorm: s.validation.maxGradNorm, seconds: s.validation.seconds } : undefined,
    timings: s.timings, out: s.out,
  };
  sections.push({ id: 'metadata', title: 'Run details', html: metadataTable(metadata, 'Options, data source, shapes and timings of this run') });
  return htmlPage(s.title ?? 'curvature influence report', intro, sections);
}

function summarise(v: number[]): string {
  if (v.length === 0) return '—';
  const lo = Math.min(...v), hi = Math.max(...v);
  return lo === hi ? String(lo) : `${lo}–${hi}`;
}
