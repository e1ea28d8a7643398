import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { relErr, testBackends, throwsType } from '../helpers.js';
import { smallProblem } from './problem.js';

/**
 * PBRF (004_7cb5e77c3e7b1392.txt eq. 28–30) at a NON-converged θˢ (8 L-BFGS steps from the
 * initialisation), where leave-one-out and influence disagree but PBRF and damped Gauss–Newton
 * influence should not: dr/dε(0) = (G + λI)⁻¹∇ℓ(z_m) (eqs. 37, 46).
 */
for (const backend of testBackends()) {
  const s = suite(`PBRF [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const { objective, train, test, model } = smallProblem(13, 100);
  const N = 100, T = 4;
  const { theta: thetaS, result } = c.fitLbfgs(objective, model.init({ seed: 2, dtype: 'float64' }), train, { maxIter: 8 });
  c.keep(thetaS);
  const damping = 1e-2;
  const removed = [0, 3, 7, 12, 21, 29, 55, 99];

  s('θˢ is not a minimum, and PBRF at ε = 0 stays at θˢ (its definition: Q(·, 0) is minimised there)', () => {
    assert.ok(result.gradNorm > 1e-3, `θˢ should be unconverged, ‖∇J‖ = ${result.gradNorm}`);
    const r = c.pbrf(objective, thetaS, train, test, [4], { damping, epsilon: 0, gradTol: 1e-12 });
    assert.ok(r.steps[0]! < 1e-12, `step ${r.steps[0]}`);
  });

  s('tiny ε: PBRF test-loss change / ε equals −I_up,loss of damped Gauss–Newton influence (rel 1e-3)', () => {
    const eps = 1e-5;
    const r = c.pbrf(objective, thetaS, train, test, removed, { damping, epsilon: eps, relTol: 1e-9 });
    assert.ok(r.converged.every(Boolean));
    const gn = c.InfluenceModel.fit(objective, thetaS, train, { hessian: 'gauss-newton', damping, solver: 'direct' });
    const I = gn.influence(test).scores.dataSync();
    const got: number[] = [], want: number[] = [];
    removed.forEach((m, k) => { for (let i = 0; i < T; i++) { got.push(r.deltas[k]![i]! / eps); want.push(-I[i * N + m]!); } });
    const err = relErr(got, want);
    assert.ok(err < 1e-3, `rel err ${err}`);
    // The exact-Hessian influence at an unconverged θˢ is a different quantity: it must not match as well.
    const ex = c.InfluenceModel.fit(objective, thetaS, train, { hessian: 'exact', damping, solver: 'direct' }).influence(test).scores.dataSync();
    const exWant = got.map((_, q) => -ex[(q % T) * N + removed[Math.floor(q / T)]!]!);
    assert.ok(relErr(got, exWant) > 10 * err, 'exact-H influence is further from PBRF than GN influence');
  });

  s('ε = 1/N (removal): damped GN influence correlates with PBRF (Pearson > 0.9)', () => {
    const r = c.pbrf(objective, thetaS, train, test, removed, { damping });
    const gn = c.InfluenceModel.fit(objective, thetaS, train, { hessian: 'gauss-newton', damping, solver: 'direct' });
    const I = gn.influence(test).scores.dataSync();
    const p: number[] = [], a: number[] = [];
    removed.forEach((m, k) => { for (let i = 0; i < T; i++) { a.push(r.deltas[k]![i]!); p.push(-I[i * N + m]! / N); } });
    const rep = c.correlationReport(p, a);
    assert.is(rep.n, removed.length * T);
    assert.is(rep.pearson, c.pearson(p, a));
    assert.ok(rep.pearson > 0.9 && rep.spearman > 0.8, `Pearson ${rep.pearson}, Spearman ${rep.spearman}`);
  });

  s('bad input: damping, indices, data → typed errors', () => {
    throwsType(() => c.pbrf(objective, thetaS, train, test, [0], { damping: -1 }), c.InputError, /damping/);
    throwsType(() => c.pbrf(new c.Objective(model, c.crossEntropyLoss, 0), thetaS, train, test, [0], { damping: 0 }), c.InputError, /strongly convex/);
    throwsType(() => c.pbrf(objective, thetaS, train, test, [100], { damping }), c.InputError, /outside \[0, 100\)/);
    throwsType(() => c.pbrf(objective, c.zeros([3], 'float64'), train, test, [0], { damping }), c.ShapeError);
    throwsType(() => c.pbrf(objective, thetaS, train, { x: c.zeros([2, 5], 'float64'), y: c.tensor([0, 1], [2], 'int32') }, [0], { damping }), c.ShapeError);
  });

  s.run();
}
