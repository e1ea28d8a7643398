import { test } from 'uvu';
import * as assert from 'uvu/assert';
import type { InfluenceSummary } from '../../src/cli/summary.js';
import { describeModel, renderInfluenceReport, type ReportInput } from '../../src/report/influence-report.js';

// A summary as the CLI writes it must stay renderable (compile-time check).
export const assignable = (s: InfluenceSummary): ReportInput => s;

const count = (s: string, re: RegExp) => (s.match(re) ?? []).length;
const section = (html: string, id: string) => html.match(new RegExp(`<section id="${id}">[\\s\\S]*?</section>`))?.[0] ?? '';
const classes = ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'];
const ranked = (base: number, sign: number) => Array.from({ length: 3 }, (_, r) => ({ index: base + r, score: sign * (3 - r), predictedDelta: -sign * (3 - r) / 100 }));

function base(): ReportInput {
  return {
    backend: 'cpu', dtype: 'float64',
    model: { path: 'm.safetensors', arch: '784,16,10', activation: 'tanh', description: 'MLP 784-16-10, tanh', loss: 'cross-entropy', weightDecay: 0.01, parameters: 12730 },
    data: { kind: 'fashion-mnist', dir: null, trainLimit: 200, testLimit: 2 }, hessian: 'exact', solver: 'cg', damping: 0.001,
    solverOptions: { rtol: 1e-6, maxIter: 500, preconditioner: { kind: 'jacobi' } },
    shapes: { parameters: 12730, train: 200, test: 2, scores: [2, 200] }, converged: true,
    labels: { train: Array.from({ length: 200 }, (_, i) => i % 10), test: [9, 4] },
    testPoints: [
      { index: 0, label: 9, predicted: 9, probability: 0.91, loss: 0.094 },
      { index: 1, label: 4, predicted: 6, probability: 0.55, loss: 1.37 },
    ],
    solve: { method: 'cg', solves: 2, iterations: [5, 6], residualNorms: [1e-9, 2e-9], converged: true, histories: [[1, 1e-3, 1e-9], [1, 1e-4, 2e-9]], info: [{ restarts: 0 }, { restarts: 1 }] },
    top: [{ test: 0, helpful: ranked(0, -1), harmful: ranked(10, 1) }, { test: 1, helpful: ranked(20, -1), harmful: ranked(30, 1) }],
    self: { top: [{ index: 42, score: 9 }], solves: 200, converged: true, out: null },
    validation: {
      kind: 'loo', method: 'chord Newton', retrained: 6, pearson: 0.98, spearman: 0.95, maxGradNorm: 1e-12, seconds: 1.5,
      pairs: Array.from({ length: 6 }, (_, i) => ({ test: i % 2, train: 100 + i, predicted: (i + 1) * 0.01, actual: (i + 1) * 0.011 })),
    },
    timings: { loadSeconds: 0.25, fitSeconds: 1.5 },
    out: 'scores.npy',
  };
}
const images = { classNames: classes };

test('scatter: a legend naming the test points, tooltips naming test and training indices with both values', () => {
  const html = renderInfluenceReport(base(), images);
  const v = section(html, 'validation');
  assert.match(v, /<g class="legend"/);
  assert.ok(v.includes('Colour = test point') && v.includes('>test point 0<') && v.includes('>test point 1<'));
  const titles = [...v.matchAll(/<circle class="point"[^>]*><title>([^<]*)<\/title>/g)].map((m) => m[1]);
  assert.is(titles.length, 6);
  assert.is(titles[0], 'test point 0 (Ankle boot), training point 100 (T-shirt/top): predicted Δ 0.01, actual Δ 0.011');
  assert.ok(titles.every((t, i) => t!.startsWith(`test point ${i % 2} `) && t!.includes(`training point ${100 + i} `)));
  assert.not.match(v, /scale-note/);
});

test('scatter: one outlying pair switches to symmetric-log axes with a visible note', () => {
  const s = base();
  s.validation!.pairs.push({ test: 1, train: 7, predicted: 40, actual: 55 });
  const v = section(renderInfluenceReport(s, images), 'validation');
  assert.match(v, /<text class="scale-note"[^>]*>Symmetric-log both axes, sign\(v\)·log1p\(\|v\|\/c\), c = [^:]+: 1 outlier point/);
  assert.is(count(v, /<circle class="point"/g), 7);
});

test('test points: prediction, probability, loss and correctness columns with class names', () => {
  const html = renderInfluenceReport(base(), images);
  const t = section(html, 'test-points');
  for (const h of ['test point', 'true label', 'predicted', 'probability', 'loss', 'correct']) assert.ok(t.includes(`<th scope="col">${h}</th>`), h);
  assert.ok(t.includes('<tr><td>0</td><td>Ankle boot</td><td>Ankle boot</td><td>0.910</td><td>0.094</td><td>yes</td></tr>'));
  assert.ok(t.includes('<tr class="wrong"><td>1</td><td>Coat</td><td>Shirt</td><td>0.550</td><td>1.37</td><td>no</td></tr>'));
  // Each test point's block in the influence section repeats its prediction and loss.
  const top = section(html, 'top');
  assert.ok(top.includes('<p class="prediction wrong">true label <b>Coat</b>; predicted <b>Shirt</b> (probability 0.550), wrong; loss 1.37</p>'));
  assert.match(html, /<th scope="row">test points<\/th><td[^>]*>1 of 2 predicted correctly, mean loss 0\.732</);
});

test('test points: no probability column when none has one; regression predictions as numbers without a correct column', () => {
  const s = base();
  s.model.loss = 'mse';
  s.labels.test = null;
  s.testPoints = [{ index: 0, label: null, predicted: 1.23456, probability: null, loss: 0.5 }];
  const t = section(renderInfluenceReport(s), 'test-points');
  assert.not.ok(t.includes('probability') || t.includes('correct'));
  assert.ok(t.includes('<tr><td>0</td><td></td><td>1.23</td><td>0.5</td></tr>'));
});

test('test points absent (an older summary): labels only, no prediction columns, and a note', () => {
  const s = base();
  delete s.testPoints;
  const html = renderInfluenceReport(s, images);
  const t = section(html, 'test-points');
  assert.ok(t.includes('<th scope="col">true label</th>') && t.includes('<td>0</td><td>Ankle boot</td>'));
  for (const h of ['predicted', 'probability', 'loss', 'correct']) assert.not.ok(t.includes(`<th scope="col">${h}</th>`), h);
  assert.match(t, /records no predictions/);
  assert.not.match(html, /class="prediction/);
  assert.not.match(html, /predicted correctly/);
  s.testPoints = null;
  assert.not.match(section(renderInfluenceReport(s, images), 'test-points'), /<th scope="col">predicted<\/th>/);
});

test('model row: the description; without one, the activation only for a model with a hidden layer', () => {
  const modelRow = (s: ReportInput) => /<th scope="row">model<\/th><td[^>]*>([^<]*)<\/td>/.exec(renderInfluenceReport(s))![1]!;
  assert.is(modelRow(base()), 'MLP 784-16-10, tanh; loss cross-entropy, weight decay 0.01, 12730 parameters');
  const lr = base();
  lr.model = { arch: '30,1', activation: null, description: 'logistic regression 30 → 1', loss: 'bce-with-logits', weightDecay: 0.01, parameters: 31 };
  assert.is(modelRow(lr), 'logistic regression 30 → 1; loss bce-with-logits, weight decay 0.01, 31 parameters');
  // Older summaries: no description; an activation recorded for a model without a hidden layer is not shown.
  assert.is(describeModel({ arch: '30,1', activation: 'tanh', loss: 'bce-with-logits', weightDecay: 0, parameters: 31 }), 'logistic regression 30 → 1');
  assert.is(describeModel({ arch: '30,1', activation: null, loss: 'bce-with-logits', weightDecay: 0, parameters: 31 }), 'logistic regression 30 → 1');
  assert.is(describeModel({ arch: '784,10', loss: 'cross-entropy', weightDecay: 0, parameters: 7850 }), 'softmax regression 784 → 10');
  assert.is(describeModel({ arch: '784,16,10', activation: 'relu', loss: 'cross-entropy', weightDecay: 0, parameters: 1 }), 'MLP 784-16-10, relu');
  assert.is(describeModel({ arch: '784,16,10', activation: null, loss: 'cross-entropy', weightDecay: 0, parameters: 1 }), 'MLP 784-16-10');
  assert.not.match(modelRow({ ...lr, model: { ...lr.model, description: undefined as unknown as string } }), /tanh|null|undefined/);
});

test('metadata: an HTML table of dotted keys (solver options, data source, shapes, timings), no raw JSON anywhere', () => {
  const html = renderInfluenceReport(base(), images);
  const m = section(html, 'metadata');
  assert.match(m, /<table class="metadata"><caption>/);
  const row = (k: string, v: string) => assert.ok(m.includes(`<tr><th scope="row"><code>${k}</code></th><td>${v}</td></tr>`), `${k} = ${v}`);
  row('backend', 'cpu'); row('model.path', 'm.safetensors'); row('data.kind', 'fashion-mnist'); row('data.dir', '—'); row('data.trainLimit', '200');
  row('solverOptions.rtol', '1e-6'); row('solverOptions.maxIter', '500'); row('solverOptions.preconditioner.kind', 'jacobi');
  row('shapes.scores', '2, 200'); row('solve.iterations', '5, 6'); row('solve.info.1.restarts', '1'); row('validation.pairs', '6');
  row('validation.maxGradNorm', '1e-12'); row('timings.fitSeconds', '1.50 s'); row('out', 'scores.npy');
  assert.not.match(html, /[{[]\s*(&quot;|")|(&quot;|")\s*:/, 'no JSON text (raw or escaped)');
  assert.ok(html.includes('(Fashion-MNIST)'), 'the data source in words in the overview');
});

test('older summaries (no optional fields) render; everything user-supplied is escaped', () => {
  const s = base();
  for (const k of ['backend', 'dtype', 'solverOptions', 'converged', 'testPoints', 'out'] as const) delete s[k];
  s.model = { arch: '30,1', activation: 'tanh', loss: 'bce<x>', weightDecay: 0, parameters: 31, path: '<m>' };
  s.data = { kind: 'npy', trainX: 'a"b.npy', testX: null };
  s.validation!.method = '<script>';
  const html = renderInfluenceReport(s);
  assert.not.match(html, /<script|<m>|bce<x>|a"b/);
  assert.ok(html.includes('&lt;m&gt;') && html.includes('a&quot;b.npy'));
});

test.run();
