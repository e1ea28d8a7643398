import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { relErr } from '../helpers.js';
import { addIdentity, logdetSpd, matvecDense, maxRel, numParams, refLayers, solveSpd, type RefNet } from './kronecker-reference.js';
import { arr, problem } from './kronecker-problem.js';

/**
 * Issue 12, item 4: the algebra of KroneckerOperator (K + shift·I) and its inverse, checked against
 * its own dense matrix (toDense) with plain-JS Cholesky, trace and log-determinant. Float64
 * throughout; tolerances: products 1e-12 relative (the same arithmetic in another order), inverses
 * 1e-10 relative (κ of K + shift + λ is ≤ ~1e3 here, so round-off is ≤ ~1e-13), traces/logdets 1e-10
 * relative.
 */
const s = suite('KroneckerOperator algebra');
s.before(() => { c.setBackend('js'); });

const NET: RefNet = { widths: [5, 4, 3] };

function setup(corrected: boolean, shift: number) {
  const p = problem(NET, 'cross-entropy', 20, 8, 0.01);
  const curv = c.KroneckerCurvature.fit(p.objective, p.theta, p.data, { corrected });
  const op = c.kroneckerOperator(curv, { shift });
  const P = numParams(NET);
  const dense = arr(c.toDense(op));
  const rng = new Random(21);
  const vec = () => Float64Array.from({ length: P }, () => rng.normal());
  return { p, curv, op, P, dense, vec };
}

for (const corrected of [false, true]) {
  const name = corrected ? 'EK-FAC' : 'K-FAC';

  s(`${name}: declared structure — symmetric, psd, shift, base; the dense matrix is symmetric`, () => {
    const { curv, op, P, dense } = setup(corrected, 0.05);
    assert.is(op.size, P);
    assert.is(op.dtype, 'float64');
    assert.is(op.symmetric, true);
    assert.is(op.psd, true);
    assert.is(op.shift, 0.05);
    let asym = 0;
    for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) asym = Math.max(asym, Math.abs(dense[i * P + j]! - dense[j * P + i]!));
    assert.ok(asym <= 1e-12 * Math.max(...dense.map(Math.abs)), `asymmetry ${asym}`);
    const base = arr(c.toDense(op.base));
    assert.ok(maxRel(addIdentity(base, P, 0.05), dense) <= 1e-12, 'base + shift·I = the operator');
    curv.dispose();
  });

  s(`${name}: matmat equals matvec column by column (≤ 1e-12)`, () => {
    const { curv, op, P, vec } = setup(corrected, 0.05);
    const cols = [vec(), vec(), vec(), vec()];
    const V = new Float64Array(P * 4);
    cols.forEach((v, j) => v.forEach((x, i) => { V[i * 4 + j] = x; }));
    assert.type(op.matmat, 'function');
    const M = arr(op.matmat!(c.tensor(V, [P, 4], 'float64')));
    cols.forEach((v, j) => {
      const mv = arr(op.matvec(c.tensor(v, [P], 'float64')));
      const col = Float64Array.from({ length: P }, (_, i) => M[i * 4 + j]!);
      assert.ok(relErr(col, mv) <= 1e-12, `column ${j}: ${relErr(col, mv)}`);
    });
    curv.dispose();
  });

  s(`${name}: inverse(λ)·(K + shift + λ)·v = v (≤ 1e-10), also for λ = 0 and as matmat; equals the dense Cholesky solve`, () => {
    const { curv, op, P, dense, vec } = setup(corrected, 0.05);
    for (const lambda of [0, 0.1, 2]) {
      const inv = c.kroneckerOperator(curv, { shift: 0.05 }).inverse(lambda);
      assert.is(inv.size, P);
      const v = vec();
      const w = matvecDense(addIdentity(dense, P, lambda), P, v);
      const back = arr(inv.matvec(c.tensor(w, [P], 'float64')));
      assert.ok(relErr(back, v) <= 1e-10, `λ = ${lambda}: ${relErr(back, v)}`);
      const b = vec();
      const want = solveSpd(addIdentity(dense, P, lambda), P, b);
      const got = arr(inv.matvec(c.tensor(b, [P], 'float64')));
      assert.ok(relErr(got, want) <= 1e-10, `λ = ${lambda} vs Cholesky: ${relErr(got, want)}`);
      const B = new Float64Array(P * 2);
      for (let i = 0; i < P; i++) { B[i * 2] = b[i]!; B[i * 2 + 1] = w[i]!; }
      const X = arr(c.applyToColumns(inv, c.tensor(B, [P, 2], 'float64')));
      assert.ok(relErr(Float64Array.from({ length: P }, (_, i) => X[i * 2]!), want) <= 1e-10, `λ = ${lambda}: matmat column 0`);
      assert.ok(relErr(Float64Array.from({ length: P }, (_, i) => X[i * 2 + 1]!), v) <= 1e-10, `λ = ${lambda}: matmat column 1`);
    }
    void op;
    curv.dispose();
  });

  s(`${name}: per-layer damping [λ₀, λ₁]: inverse([λ₀, λ₁])·(K + shift + diag(λ_l))·v = v (≤ 1e-10)`, () => {
    const { curv, op, P, dense, vec } = setup(corrected, 0.05);
    const lambdas = [0.2, 0.003];
    const D = Float64Array.from(dense);
    for (const [k, l] of refLayers(NET).entries()) for (let i = 0; i < l.size; i++) D[(l.offset + i) * P + l.offset + i]! += lambdas[k]!;
    const v = vec();
    const back = arr(op.inverse(lambdas).matvec(c.tensor(matvecDense(D, P, v), [P], 'float64')));
    assert.ok(relErr(back, v) <= 1e-10, `per-layer: ${relErr(back, v)}`);
    // And a uniform array equals the scalar.
    const b = vec();
    const x1 = arr(op.inverse([0.1, 0.1]).matvec(c.tensor(b, [P], 'float64')));
    const x2 = arr(op.inverse(0.1).matvec(c.tensor(b, [P], 'float64')));
    assert.ok(relErr(x1, x2) <= 1e-14, 'inverse([λ, λ]) = inverse(λ)');
    curv.dispose();
  });

  s(`${name}: trace() = trace of the dense matrix; logdet(λ) = log det(dense + λI) (≤ 1e-10 relative)`, () => {
    const { curv, op, P, dense } = setup(corrected, 0.05);
    let tr = 0;
    for (let i = 0; i < P; i++) tr += dense[i * P + i]!;
    assert.ok(Math.abs(op.trace() - tr) <= 1e-10 * Math.abs(tr), `trace ${op.trace()} vs ${tr}`);
    for (const lambda of [0, 0.1]) {
      const want = logdetSpd(addIdentity(dense, P, lambda), P);
      const got = lambda === 0 ? op.logdet() : op.logdet(lambda);
      assert.ok(Math.abs(got - want) <= 1e-10 * Math.abs(want), `logdet(${lambda}) ${got} vs ${want}`);
    }
    curv.dispose();
  });

  s(`${name}: composes with sumOperator and shifted (products, trace)`, () => {
    const { curv, op, P, dense, vec } = setup(corrected, 0.05);
    const rng = new Random(3);
    const Mraw = Float64Array.from({ length: P * P }, () => rng.normal());
    const M = new Float64Array(P * P);
    for (let i = 0; i < P; i++) for (let j = 0; j < P; j++) M[i * P + j] = (Mraw[i * P + j]! + Mraw[j * P + i]!) / 2;
    const sum = c.sumOperator([op, c.denseOperator(c.tensor(M, [P, P], 'float64'))]);
    const sh = c.shifted(op, 0.25);
    const v = vec();
    const kv = matvecDense(dense, P, v), mv = matvecDense(M, P, v);
    const got = arr(sum.matvec(c.tensor(v, [P], 'float64')));
    assert.ok(relErr(got, Float64Array.from(kv, (x, i) => x + mv[i]!)) <= 1e-12, 'sumOperator matvec');
    assert.is(sum.symmetric, true);
    const gs = arr(sh.matvec(c.tensor(v, [P], 'float64')));
    assert.ok(relErr(gs, Float64Array.from(kv, (x, i) => x + 0.25 * v[i]!)) <= 1e-12, 'shifted matvec');
    assert.is(sh.psd, true);
    let tr = 0, trM = 0;
    for (let i = 0; i < P; i++) { tr += dense[i * P + i]!; trM += M[i * P + i]!; }
    assert.ok(Math.abs(sh.trace!() - (tr + 0.25 * P)) <= 1e-10 * tr, 'shifted trace');
    assert.ok(Math.abs(sum.trace!() - (tr + trM)) <= 1e-10 * Math.abs(tr + trM) + 1e-12, 'sum trace');
    // A solver on the composed operator: direct on K + 0.25·I equals inverse(0.25).
    const b = vec();
    const x = arr(c.direct(sh, c.tensor(b, [P], 'float64')).x);
    const y = arr(op.inverse(0.25).matvec(c.tensor(b, [P], 'float64')));
    assert.ok(relErr(x, y) <= 1e-10, `direct on shifted vs inverse: ${relErr(x, y)}`);
    curv.dispose();
  });
}

s.run();
