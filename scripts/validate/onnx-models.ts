/**
 * Validation (not a CI test): the models of test/fixtures/models, imported from PyTorch's ONNX export,
 * end to end against the fixtures' PyTorch float64 references — exact influence with `direct` (dense
 * Cholesky of H + λI, the fixture's damping), CG at rtol 1e-10 for every test point, EK-FAC influence
 * against the exact scores (the Kronecker approximation's limit, reported, not a target), and the
 * conv layers' K-FAC factors against dense E[ããᵀ] over unfolded patches and E[ggᵀ] over positions.
 * CI checks the same imports more cheaply (test/nn/onnx/import.test.ts); the CNN's dense Hessian
 * (4,266 HVPs) is too slow for the pure-JS backend there.
 *
 *   node dist/scripts/validate/onnx-models.js [--backend native] [--models cnn,resmlp] [--json out.json]
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as c from '../../src/index.js';
import { readSafetensors } from '../../src/io/safetensors.js';
import { toFloat64 } from '../../src/io/array.js';

const { values } = parseArgs({ options: { backend: { type: 'string', default: 'native' }, models: { type: 'string', default: 'cnn,resmlp' }, json: { type: 'string' } } });
c.setBackend(values.backend!);
const dir = join(import.meta.dirname ?? new URL('.', import.meta.url).pathname, '..', '..', '..', 'test', 'fixtures', 'models');

const rel = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let d = 0, n = 0;
  for (let i = 0; i < b.length; i++) { d += (a[i]! - b[i]!) ** 2; n += b[i]! ** 2; }
  return Math.sqrt(d / n);
};

const report: Record<string, unknown> = { backend: c.getBackend().name, date: new Date().toISOString(), models: {} };
for (const name of values.models!.split(',')) {
  const file = readSafetensors(join(dir, `${name}.safetensors`));
  const fx = new Map([...file.tensors].map(([k, v]) => [k, { data: toFloat64(v).data, shape: v.shape }]));
  const meta = JSON.parse(file.metadata['json'] ?? '{}') as Record<string, number>;
  const t = (k: string) => fx.get(k)!;
  const imported = c.loadOnnx(join(dir, `${name}.onnx`));
  const { model } = imported;
  const P = model.numParams, nTest = meta['n_test']!, nTrain = meta['n_train']!;
  const shape = t('x_train').shape.slice(1);
  const objective = new c.Objective(model, c.crossEntropyLoss, meta['weight_decay']!);
  const theta = c.tensor(imported.theta, [P], 'float64');
  const train = { x: c.tensor(t('x_train').data, [nTrain, ...shape], 'float64'), y: c.tensor(Int32Array.from(t('y_train').data), [nTrain], 'int32') };
  const test = { x: c.tensor(t('x_test').data, [nTest, ...shape], 'float64'), y: c.tensor(Int32Array.from(t('y_test').data), [nTest], 'int32') };
  const damping = meta['ihvp_damping']!;
  const out: Record<string, unknown> = { parameters: P, train: nTrain, test: nTest, damping };

  let t0 = performance.now();
  const exact = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct', damping });
  const exactScores = exact.influence(test, train).scores.dataSync();
  out['direct'] = { influenceRelErr: rel(exactScores, t('influence').data), seconds: (performance.now() - t0) / 1000 };
  exact.dispose();

  t0 = performance.now();
  const op = c.hessianOperator(objective, theta, train);
  const cg = Array.from({ length: nTest }, (_, i) => {
    const g = t('grad_test').data.subarray(i * P, (i + 1) * P), want = t('ihvp_grad_test').data.subarray(i * P, (i + 1) * P);
    const r = c.cg(op, c.tensor(g, [P], 'float64'), { rtol: 1e-10, damping });
    return { iterations: r.iterations, converged: r.converged, relErr: rel(r.x.dataSync(), want) };
  });
  out['cg'] = { maxRelErr: Math.max(...cg.map((r) => r.relErr)), iterations: cg.map((r) => r.iterations), allConverged: cg.every((r) => r.converged), seconds: (performance.now() - t0) / 1000 };

  t0 = performance.now();
  const ekfac = c.InfluenceModel.fit(objective, theta, train, { solver: 'ekfac', damping, hessian: 'gauss-newton', solverOptions: { kroneckerFallback: 'direct' } });
  const approx = ekfac.influence(test, train).scores.dataSync();
  ekfac.dispose();
  const perTest = Array.from({ length: nTest }, (_, i) => c.pearson(approx.subarray(i * nTrain, (i + 1) * nTrain), exactScores.subarray(i * nTrain, (i + 1) * nTrain)));
  out['ekfac'] = {
    pearson: c.pearson(approx, exactScores), spearman: c.spearman(approx, exactScores), pearsonPerTestPoint: perTest, seconds: (performance.now() - t0) / 1000,
  };

  if (name === 'cnn') {
    // K-FAC factors of each conv layer (empirical-Fisher form: δ from the captures) against dense sums over unfolded patches.
    const kc = c.KroneckerCurvature.fit(objective, theta, train, { form: 'empirical-fisher', batchSize: 16 });
    const caps = objective.capture(theta, train).layers;
    out['convFactors'] = kc.layers.filter((l) => l.name.startsWith('features')).map((l) => {
      const cap = caps.find((x) => x.name === l.name)!;
      const conv = cap.site.layer as c.Conv2d;
      const patches = c.unfold2d(cap.input, conv.geometry);                                   // [n, T, K]
      const [n, T, K] = patches.shape as [number, number, number];
      const rows = c.concat([c.reshape(patches, [n * T, K]), c.ones([n * T, 1], 'float64')], 1);
      const A = c.mul(c.matmul(rows, rows, { transA: true }), 1 / n).dataSync();
      const d = c.reshape(c.transpose(cap.outputGrad, [0, 2, 3, 1]), [n * T, conv.outChannels]);
      const G = c.mul(c.matmul(d, d, { transA: true }), 1 / (n * T)).dataSync();
      const maxRel = (got: ArrayLike<number>, want: ArrayLike<number>) => {
        let e = 0, m = 0;
        for (let i = 0; i < want.length; i++) { e = Math.max(e, Math.abs(got[i]! - want[i]!)); m = Math.max(m, Math.abs(want[i]!)); }
        return e / m;
      };
      return { layer: l.name, A: maxRel(l.A.dataSync(), A), G: maxRel(l.G.dataSync(), G) };
    });
    kc.dispose();
  }
  (report['models'] as Record<string, unknown>)[name] = out;
  console.log(name, JSON.stringify(out, null, 1));
}
if (values.json) writeFileSync(values.json, JSON.stringify(report, null, 2) + '\n');
