import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { relErr, throwsType } from '../helpers.js';
import { addIdentity, block, solveSpd } from '../operators/kronecker-reference.js';
import { arr, problem } from '../operators/kronecker-problem.js';

/**
 * Issue 12, item 7: bad input to K-FAC / EK-FAC — a parameterised layer that is not Linear, a
 * singular factor without damping, invalid fisherSamples, a saved K-FAC stage loaded against
 * another θ — and the kroneckerFallback path (the unfactored block solved exactly by another solver).
 */
const s = suite('K-FAC / EK-FAC: unsupported layers, singular factors, bad options, mismatched fits');
s.before(() => { c.setBackend('js'); });
const root = mkdtempSync(join(tmpdir(), 'curv-kfac-errors-'));
s.after(() => rmSync(root, { recursive: true, force: true }));

/** y = x ⊙ s: a parameterised elementwise scale, deliberately not a Linear layer. */
class Scale implements c.Layer {
  readonly kind = 'scale';
  readonly params: readonly c.ParamSpec[];
  constructor(readonly width: number) { this.params = [{ name: 'scale', shape: [width] }]; }
  apply(params: readonly c.Tensor[], x: c.Tensor): c.Tensor { return c.mul(x, params[0]!); }
  init(rng: { uniform(): number }): Float64Array[] { return [Float64Array.from({ length: this.width }, () => 0.5 + rng.uniform())]; }
  describe(): string { return `Scale(${this.width})`; }
}

/** Linear(3, 4) → Scale(4) → Tanh → Linear(4, 3), cross-entropy, weight decay 1e-2, 15 examples. */
function scaledProblem() {
  const model = new c.Sequential([new c.Linear(3, 4), new Scale(4), c.Tanh(), new c.Linear(4, 3)]);
  const objective = new c.Objective(model, c.crossEntropyLoss, 1e-2);
  const rng = new Random(2);
  const theta = c.keep(c.tensor(Float64Array.from(model.init({ seed: 4, dtype: 'float64' }).dataSync(), (v) => 2 * v), [model.numParams], 'float64'));
  const data = {
    x: c.keep(c.tensor(Float64Array.from({ length: 45 }, () => rng.normal()), [15, 3], 'float64')),
    y: c.keep(c.tensor(Int32Array.from({ length: 15 }, () => rng.int(3)), [15], 'int32')),
  };
  // θ layout: Linear 0 [0, 16), Scale [16, 20), Linear 3 [20, 35).
  return { model, objective, theta, data, scale: { offset: 16, size: 4 } };
}

s('a parameterised non-Linear layer: UnsupportedLayerError naming it (fit and fitSolver kfac/ekfac)', () => {
  const { objective, theta, data } = scaledProblem();
  throwsType(() => c.KroneckerCurvature.fit(objective, theta, data), c.UnsupportedLayerError, /Scale/);
  const op = c.gaussNewtonOperator(objective, theta, data);
  throwsType(() => c.fitSolver('kfac', op, { damping: 0.1 }), c.UnsupportedLayerError, /Scale/);
  throwsType(() => c.fitSolver('ekfac', op, { damping: 0.1 }), c.UnsupportedLayerError, /Scale/);
});

s("unfactored: 'skip' leaves the layer out: listed in `unfactored`, shift·I there, the Linear layers factored", () => {
  const { objective, theta, data, scale } = scaledProblem();
  const curv = c.KroneckerCurvature.fit(objective, theta, data, { unfactored: 'skip' });
  assert.equal(curv.unfactored.map((b) => [b.offset, b.size]), [[scale.offset, scale.size]]);
  assert.equal(curv.layers.map((l) => [l.offset, l.size]), [[0, 16], [20, 15]]);
  const P = 35;
  const dense = arr(c.toDense(c.kroneckerOperator(curv, { shift: 0.3 })));
  for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) {
    const inScaleRow = i >= scale.offset && i < scale.offset + scale.size, inScaleCol = j >= scale.offset && j < scale.offset + scale.size;
    if (inScaleRow || inScaleCol) assert.is(dense[i * P + j], i === j ? 0.3 : 0, `entry (${i}, ${j}) on the skipped block`);
  }
  curv.dispose();
});

s("kroneckerFallback: 'direct' solves the unfactored block exactly (its GN block + shift + λ, Cholesky here) and the Linear blocks by EK-FAC", () => {
  const { objective, theta, data, scale } = scaledProblem();
  const op = c.gaussNewtonOperator(objective, theta, data);
  const lambda = 0.05, P = 35;
  for (const name of ['ekfac', 'kfac'] as const) {
    const solver = c.fitSolver(name, op, { damping: lambda, kroneckerFallback: 'direct' });
    const rng = new Random(9);
    const b = Float64Array.from({ length: P }, () => rng.normal());
    const x = arr(solver.solve(c.tensor(b, [P], 'float64')).x);
    // Scale block: (GN_ss + wd + λ)⁻¹ b_s; the dense GN (with its declared shift wd) from the existing operator.
    const gn = arr(c.toDense(op));
    const want = solveSpd(addIdentity(block(gn, P, scale.offset, scale.size), scale.size, lambda), scale.size, b.subarray(scale.offset, scale.offset + scale.size));
    const got = x.subarray(scale.offset, scale.offset + scale.size);
    assert.ok(relErr(got, want) <= 1e-10, `${name}: Scale block rel err ${relErr(got, want)}`);
    // Linear blocks: the Kronecker inverse of the same factors (shift = weight decay, plus λ).
    const curv = c.KroneckerCurvature.fit(objective, theta, data, { unfactored: 'skip', corrected: name === 'ekfac' });
    const y = arr(c.kroneckerOperator(curv, { shift: 1e-2 }).inverse(lambda).matvec(c.tensor(b, [P], 'float64')));
    for (const [o, n] of [[0, 16], [20, 15]] as const) {
      const e = relErr(x.subarray(o, o + n), y.subarray(o, o + n));
      assert.ok(e <= 1e-10, `${name}: Linear block at ${o} rel err ${e}`);
    }
    curv.dispose();
    solver.dispose();
  }
});

s('a singular factor (a constant-zero input feature) with zero damping and zero weight decay: NotPositiveDefiniteError at fit or solve', () => {
  // MSE, so G is regular and the singularity is A's alone (its row and column for feature 0 are 0).
  const p = problem({ widths: [3, 4, 2] }, 'mse', 12, 3, 0);
  const x = arr(p.data.x);
  for (let i = 0; i < 12; i++) x[i * 3] = 0;
  const data = { x: c.tensor(x, [12, 3], 'float64'), y: p.data.y };
  const op = c.gaussNewtonOperator(p.objective, p.theta, data);
  const b = c.tensor(Float64Array.from({ length: p.thetaArr.length }, (_, i) => Math.sin(i + 1)), [p.thetaArr.length], 'float64');
  for (const name of ['kfac', 'ekfac'] as const) {
    throwsType(() => { c.fitSolver(name, op, { damping: 0 }).solve(b); }, c.NotPositiveDefiniteError);
  }
  const curv = c.KroneckerCurvature.fit(p.objective, p.theta, data);
  throwsType(() => c.kroneckerOperator(curv, { shift: 0 }).inverse(0).matvec(b), c.NotPositiveDefiniteError);
  // With damping it is fine.
  const x1 = c.fitSolver('kfac', op, { damping: 0.1 }).solve(b).x;
  assert.ok(arr(x1).every(Number.isFinite));
  curv.dispose();
});

s('fisherSamples 0, −1, 1.5, NaN: InputError (KroneckerCurvature.fit and fitSolver)', () => {
  const p = problem({ widths: [3, 4, 2] }, 'cross-entropy', 10, 3, 1e-2);
  const op = c.gaussNewtonOperator(p.objective, p.theta, p.data);
  for (const bad of [0, -1, 1.5, Number.NaN]) {
    throwsType(() => c.KroneckerCurvature.fit(p.objective, p.theta, p.data, { form: 'sampled-fisher', fisherSamples: bad }), c.InputError, /fisherSamples/);
    throwsType(() => c.fitSolver('kfac', op, { damping: 0.1, fisherSamples: bad }), c.InputError, /fisherSamples/);
    throwsType(() => c.fitSolver('ekfac', op, { damping: 0.1, fisherSamples: bad }), c.InputError, /fisherSamples/);
  }
});

s('a saved K-FAC / EK-FAC fit loaded against another θ or another model: FitMismatchError', () => {
  const p = problem({ widths: [3, 4, 2] }, 'cross-entropy', 10, 3, 1e-2);
  for (const solver of ['kfac', 'ekfac'] as const) {
    const dir = join(root, solver);
    const fitted = c.InfluenceModel.fit(p.objective, p.theta, p.data, { hessian: 'gauss-newton', solver, damping: 0.1 });
    fitted.save(dir);
    fitted.dispose();
    const t = Float64Array.from(p.thetaArr);
    t[5] = t[5]! + 1e-9;
    throwsType(() => c.InfluenceModel.load(dir, p.objective, c.tensor(t, [t.length], 'float64'), p.data), c.FitMismatchError);
    const other = problem({ widths: [3, 5, 2] }, 'cross-entropy', 10, 3, 1e-2);
    throwsType(() => c.InfluenceModel.load(dir, other.objective, other.theta, other.data), c.FitMismatchError);
    // The right θ loads.
    c.InfluenceModel.load(dir, p.objective, p.theta, p.data).dispose();
  }
});

s.run();
