import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { loadFashionMnist } from '../../src/io/datasets.js';
import { get, loadFixture, row } from '../fixtures.js';
import { relErr } from '../helpers.js';
import { skipBecause } from '../skip.js';

/**
 * Issue 12, item 6: CG preconditioned by EK-FAC on the undamped mlp-small problem (exact Hessian
 * operator of J with weight decay 1e-3, damping 0, 5,000 training images; κ(H) ≈ 43.0 / 5.9e-5 ≈ 7.3e5),
 * for the first test gradient (each iteration is an exact HVP over 5,000 images).
 *   - relative residual ‖H x − g‖/‖g‖ ≤ 1e-8, recomputed here with hessianOperator (rtol 1e-8, plus
 *     1e-10 slack for the recomputation's round-off);
 *   - ‖x − H⁻¹g‖/‖H⁻¹g‖ ≤ 1e-6 against the fixture's dense-Cholesky ihvp_grad_test. The worst-case
 *     bound κ·rtol ≈ 7e-3 is far looser, but CG minimises the error in the H-norm, so the error left
 *     at a small residual sits in the large-eigenvalue directions: the project measures ≈ rtol-level
 *     errors (3e-9–8e-9 at rtol 1e-9, docs/VALIDATION.md), and the fixture's own solution solves our H
 *     to ≤ 1e-8 (fixture-small.test.ts). 1e-6 leaves two orders of magnitude over that.
 *   - fewer iterations than with the Nyström preconditioner (default rank 20): Nyström is run with the
 *     same iteration budget and must not have converged there. Both counts are printed; the full
 *     Nyström count runs only with CURVATURE_FULL_NYSTROM=1 (measured: EK-FAC 351, Nyström rank 20 715 on wasm; the project measured 384
 *     at rank 100).
 * On the wasm backend when it loads (≈ 2× faster HVPs), else js.
 */
const s = suite('CG + EK-FAC preconditioner on undamped mlp-small');
const NAME = 'cg + ekfac: residual ≤ 1e-8, matches ihvp_grad_test[0] (≤ 1e-6), fewer iterations than cg + nystrom';
const fx = loadFixture('mlp-small');
const P = 12730;

let backend = 'js';
try { c.setBackend('wasm'); backend = 'wasm'; } catch { c.setBackend('js'); }
let train: c.Dataset | null = null;
let missing = '';
try {
  const d = loadFashionMnist({ split: 'train', limit: 5000 });
  train = {
    x: c.keep(c.tensor(Float64Array.from(d.x.data as Uint8Array, (v) => v / 255), [5000, 784], 'float64')),
    y: c.keep(c.tensor(d.y.data as Int32Array, [5000], 'int32')),
  };
} catch (err) {
  missing = `the Fashion-MNIST images are not available (${(err as Error).message})`;
}

if (!train) {
  skipBecause(s, NAME, missing);
} else {
  const data = train;
  s.before(() => { c.setBackend(backend); });
  s(NAME, () => {
    const model = c.Sequential.mlp([784, 16, 10], 'tanh');
    const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
    const theta = c.tensor(get(fx, 'theta').data, [P], 'float64');
    const op = c.hessianOperator(objective, theta, data);
    const g = row(get(fx, 'grad_test'), 0), want = row(get(fx, 'ihvp_grad_test'), 0);
    const b = c.tensor(g, [P], 'float64');

    const solver = c.fitSolver('cg', op, { preconditioner: 'ekfac', rtol: 1e-8 });
    const r = solver.solve(b);
    const x = Float64Array.from(r.x.dataSync());
    const res = relErr(op.matvec(r.x).dataSync(), g);
    const err = relErr(x, want);
    solver.dispose();

    const ny = c.fitSolver('cg', op, { preconditioner: 'nystrom', rtol: 1e-8, maxIter: r.iterations });
    const rn = ny.solve(b);
    const resN = relErr(op.matvec(rn.x).dataSync(), g);
    ny.dispose();
    let full = '';
    if (process.env['CURVATURE_FULL_NYSTROM']) {
      const nf = c.fitSolver('cg', op, { preconditioner: 'nystrom', rtol: 1e-8, maxIter: 20000 });
      const rf = nf.solve(b);
      full = `; to convergence: ${rf.iterations} iterations (converged ${rf.converged}, rel err ${relErr(rf.x.dataSync(), want).toExponential(2)})`;
      nf.dispose();
    }
    console.log(`    [${backend}] cg + ekfac: ${r.iterations} iterations, relative residual ${res.toExponential(2)}, rel err vs ihvp_grad_test[0] ${err.toExponential(2)}; ` +
      `cg + nystrom (rank 20): relative residual ${resN.toExponential(2)} after ${rn.iterations} iterations (converged ${rn.converged})${full}`);
    assert.ok(r.converged, 'cg + ekfac converged');
    assert.ok(res <= 1e-8 + 1e-10, `relative residual ${res}`);
    assert.ok(err <= 1e-6, `relative error vs the fixture ${err}`);
    assert.ok(!rn.converged && resN > 1e-8, `cg + nystrom reached rtol within the ${r.iterations} iterations EK-FAC needed (residual ${resN})`);
  });
}

s.run();
