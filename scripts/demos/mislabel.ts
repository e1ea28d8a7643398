/**
 * Demo: mislabelled-example detection by self-influence on the bundled Fashion-MNIST subset.
 * Flips 10% of the labels, trains L2-regularised logistic regression (7,850 parameters), ranks the
 * training points by self-influence and plots the fraction of flipped labels found against the
 * fraction of the data inspected (self-influence, training loss, random order).
 *
 *   node dist/scripts/demos/mislabel.js [--train 5000] [--out mislabel.html] [--backend wasm]
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { setBackend } from '../../src/backend/registry.js';
import { runMislabel } from '../../examples/mislabel.js';
import { lineChart } from '../../src/report/line-chart.js';
import { htmlPage } from '../../src/report/page.js';

const { values } = parseArgs({ options: { train: { type: 'string' }, out: { type: 'string', default: 'mislabel.html' }, backend: { type: 'string', default: 'wasm' }, 'weight-decay': { type: 'string', default: '0.01' } } });
setBackend(values.backend!);
const t0 = performance.now();
const r = runMislabel({ ...(values.train ? { trainLimit: Number(values.train) } : {}), weightDecay: Number(values['weight-decay']), onProgress: (m) => console.log(m) });
const x = Array.from(r.curves.selfInfluence, (_, k) => k / r.n);
const chart = lineChart([
  { name: 'self-influence', x, y: r.curves.selfInfluence },
  { name: 'training loss', x, y: r.curves.loss, dashed: true },
  { name: 'random order', x, y: r.curves.random, dashed: true },
], { title: 'Flipped labels found vs data inspected', xLabel: 'fraction of training data inspected', yLabel: 'fraction of flipped labels found' });
writeFileSync(values.out!, htmlPage('Mislabelled-example detection (Fashion-MNIST)',
  `<p>${r.n} training images, ${r.flipped} labels flipped, logistic regression with ${r.parameters} parameters. After inspecting 20%: self-influence ${(100 * r.at20.selfInfluence).toFixed(1)}%, training loss ${(100 * r.at20.loss).toFixed(1)}%, random ${(100 * r.at20.random).toFixed(1)}%.</p>`,
  [{ title: 'Detection curves', html: `<div class="charts">${chart}</div>` }]));
console.log(`\n${r.n} training points, ${r.flipped} flipped labels; found after inspecting 20% of the data:`);
console.log(`  self-influence ${(100 * r.at20.selfInfluence).toFixed(1)}%   training loss ${(100 * r.at20.loss).toFixed(1)}%   random ${(100 * r.at20.random).toFixed(1)}%   ${r.at20.selfInfluence >= 0.8 ? 'PASS' : 'FAIL'} (≥ 80%)`);
for (const f of [0.05, 0.1, 0.3]) console.log(`  at ${100 * f}%: self-influence ${(100 * r.curves.selfInfluence[Math.round(f * r.n)]!).toFixed(1)}%, loss ${(100 * r.curves.loss[Math.round(f * r.n)]!).toFixed(1)}%`);
console.log(`timings: train ${r.seconds.train.toFixed(1)} s, Hessian ${r.seconds.hessian.toFixed(1)} s, self-influence ${r.seconds.selfInfluence.toFixed(1)} s, total ${((performance.now() - t0) / 1000).toFixed(1)} s; chart in ${values.out}`);
