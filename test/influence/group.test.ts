import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { relErr, testBackends, throwsType } from '../helpers.js';
import { smallProblem } from './problem.js';

for (const backend of testBackends()) {
  const s = suite(`group influence [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const { objective, theta, train, test } = smallProblem(9, 200, 4, [4, 3]); // softmax regression: convex, where first-order group influence is accurate
  const N = 200, T = 4;
  const infl = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct' });
  const groups = [[0], [1, 2], [3, 4, 5], [6, 10, 20], [7, 8], [11, 12, 13, 14]];

  s('first-order group influence = −(1/N)·Σ of the single-point scores', () => {
    const scores = infl.influence(test).scores.dataSync();
    const g = c.groupInfluence(infl, test, groups).dataSync();
    const want = new Float64Array(T * groups.length);
    for (let i = 0; i < T; i++) groups.forEach((grp, k) => { want[i * groups.length + k] = -grp.reduce((a, j) => a + scores[i * N + j]!, 0) / N; });
    assert.ok(relErr(g, want) < 1e-12);
  });

  s('predicts retraining without the group (Pearson > 0.95 over groups × test points); logit output too', () => {
    for (const output of ['loss', { logit: 0 }] as const) {
      const pred = c.groupInfluence(infl, test, groups, { output }).dataSync();
      const truth = c.retrainWithout(objective, theta, train, test, groups, { gradTol: 1e-12, output });
      const p: number[] = [], a: number[] = [];
      groups.forEach((_, k) => { for (let i = 0; i < T; i++) { p.push(pred[i * groups.length + k]!); a.push(truth.deltas[k]![i]!); } });
      const r = c.pearson(p, a);
      assert.ok(r > 0.95, `${JSON.stringify(output)}: Pearson ${r}`);
    }
  });

  s('bad groups are InputErrors', () => {
    throwsType(() => c.groupInfluence(infl, test, []), c.InputError, /non-empty/);
    throwsType(() => c.groupInfluence(infl, test, [[]]), c.InputError, /group 0/);
    throwsType(() => c.groupInfluence(infl, test, [[0], [300]]), c.InputError, /index 300 is outside \[0, 200\)/);
    throwsType(() => c.groupInfluence(infl, test, [[1, 1]]), c.InputError, /twice/);
    throwsType(() => c.retrainWithout(objective, theta, train, test, [Array.from({ length: 200 }, (_, i) => i)]), c.InputError, /nothing to train/);
  });

  s.run();
}
