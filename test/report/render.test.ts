import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderInfluenceReport, type ReportInput } from '../../src/report/influence-report.js';
import { encodeGrayPng, pngDataUrl } from '../../src/report/png.js';
import { skipBecause } from '../skip.js';
import { chromiumPath, dumpDom, screenshot } from './chromium.js';

const dir = mkdtempSync(join(tmpdir(), 'curvature-report-'));
const ranked = (base: number, sign: number) => Array.from({ length: 4 }, (_, r) => ({ index: base + r, score: sign * (4 - r), predictedDelta: -sign * (4 - r) / 100 }));
const input: ReportInput = {
  title: 'report <test>',
  backend: 'cpu', dtype: 'float64',
  model: { arch: '16,8,10', activation: 'tanh', description: 'MLP 16-8-10, tanh', loss: 'cross-entropy', weightDecay: 0.01, parameters: 226 },
  data: { kind: 'npy', trainX: 'x.npy', testX: 'xt.npy' }, hessian: 'exact', solver: 'cg', damping: 0,
  solverOptions: { rtol: 1e-6, maxIter: 200 },
  shapes: { parameters: 226, train: 100, test: 2, scores: [2, 100] }, converged: true,
  labels: { train: Array.from({ length: 100 }, (_, i) => i % 10), test: [3, 7] },
  testPoints: [{ index: 0, label: 3, predicted: 3, probability: 0.8, loss: 0.22 }, { index: 1, label: 7, predicted: 2, probability: 0.4, loss: 1.6 }],
  solve: { method: 'cg', iterations: [5, 6], residualNorms: [1e-9, 2e-9], converged: true, histories: [[1, 0.1, 1e-3, 1e-5, 1e-7, 1e-9], [1, 0.3, 0.01, 1e-4, 1e-6, 1e-8, 2e-9]] },
  top: [{ test: 0, helpful: ranked(0, -1), harmful: ranked(10, 1) }, { test: 1, helpful: ranked(20, -1), harmful: ranked(30, 1) }],
  self: { top: [{ index: 42, score: 9 }, { index: 7, score: 3 }] },
  validation: { kind: 'loo', method: 'L-BFGS', retrained: 8, pearson: 0.987, spearman: 0.95, pairs: Array.from({ length: 8 }, (_, i) => (i === 7 ? { test: 1, train: 7, predicted: 2.5, actual: 3 } : { test: i % 2, train: i, predicted: i * 0.01, actual: i * 0.011 + 0.001 })) },
  timings: { fitSeconds: 0.5 },
};
const thumb = (i: number) => pngDataUrl(encodeGrayPng(Array.from({ length: 16 }, (_, k) => (k * 16 + i) % 256), 4, 4, { upscale: 4 }));
const html = renderInfluenceReport(input, { train: thumb, test: thumb, classNames: ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9'] });
const file = join(dir, 'report.html');
writeFileSync(file, html);

test('the HTML is self-contained: no scripts, no external URLs, images as data: URLs', () => {
  assert.not.match(html, /<script/i);
  assert.not.match(html, /\b(src|href)="(?!data:)/);
  assert.not.match(html, /url\(/);
  assert.ok(html.includes('report &lt;test&gt;'));
  assert.is((html.match(/src="data:image\/png;base64,/g) ?? []).length, 2 * 8 + 2 + 2);
});

const chromium = chromiumPath();
const RENDER = 'headless Chromium renders the report: tables, scatter with legend and tooltips, metadata table, images decoded';
const SHOT = 'headless Chromium screenshot is a non-trivial PNG';
if (!chromium.path) {
  skipBecause(test, RENDER, chromium.reason);
  skipBecause(test, SHOT, chromium.reason);
} else {
  test(RENDER, () => {
    const dom = dumpDom(chromium.path!, file);
    assert.match(dom, /<h1>report &lt;test&gt;<\/h1>/);
    assert.is((dom.match(/<table class="influence"/g) ?? []).length, 2);
    assert.is((dom.match(/<circle class="point"/g) ?? []).length, 8);
    assert.is((dom.match(/<polyline class="series"/g) ?? []).length, 2);
    assert.match(dom, /class="pearson">0\.9870</);
    assert.ok(dom.includes('c3') && dom.includes('c7'));
    const rows = dom.match(/<table class="influence" data-test="0">[\s\S]*?<\/table>/)![0];
    assert.is((rows.match(/<tr>/g) ?? []).length, 2 + 4);
    // The scatter's legend, its per-point tooltips and the symmetric-log note (one outlier).
    const legend = dom.match(/<g class="legend"[\s\S]*?y = x \(exact agreement\)/)?.[0] ?? '';
    assert.ok(legend.includes('test point 0') && legend.includes('test point 1') && legend.includes('y = x'), legend);
    assert.match(dom, /<circle class="point"[^>]*><title>test point 1 \(c7\), training point 7 \(c7\): predicted Δ 2\.5, actual Δ 3<\/title>/);
    assert.is((dom.match(/<title>test point \d \(c\d\), training point \d+ \(c\d\): predicted Δ [^<]+, actual Δ [^<]+<\/title>/g) ?? []).length, 8);
    assert.match(dom, /<text class="scale-note"[^>]*>Symmetric-log both axes[^<]*1 outlier point/);
    // The model on each test point, and the metadata as a table of dotted keys.
    assert.match(dom, /<table class="test-points">[\s\S]*?<th scope="col">predicted<\/th>[\s\S]*?<tr class="wrong"><td>1<\/td><td>c7<\/td><td>c2<\/td>/);
    const meta = dom.match(/<table class="metadata">[\s\S]*?<\/table>/)?.[0] ?? '';
    assert.match(meta, /<th scope="row"><code>solverOptions\.rtol<\/code><\/th><td>1e-6<\/td>/);
    assert.match(meta, /<code>data\.trainX<\/code><\/th><td>x\.npy<\/td>/);
    assert.match(meta, /<code>timings\.fitSeconds<\/code><\/th><td>0\.50 s<\/td>/);
    assert.match(dom, /<th scope="row">model<\/th><td[^>]*>MLP 16-8-10, tanh;/);
  });

  test(SHOT, () => {
    const out = join(dir, 'shot.png');
    screenshot(chromium.path!, file, out);
    const png = readFileSync(out);
    assert.equal(Array.from(png.subarray(0, 4)), [0x89, 0x50, 0x4e, 0x47]);
    assert.ok(statSync(out).size > 20_000, `screenshot only ${statSync(out).size} bytes`);
  });
}

test.run();
