import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends, throwsType } from '../helpers.js';

/**
 * Inverses are operators: inverseOf(op, solver, options) is a LinearOperator (matvec = solve,
 * matmat = a solve of all columns) that composes with sum, scale, chain and block-diagonal.
 * Dense float64 checks against explicit matrices, ≤ 1e-10 relative (exact algebra: a Cholesky
 * solve of a well-conditioned 8×8 system; CG to rtol 1e-14).
 */
for (const backend of testBackends()) {
  const s = suite(`inverse operators [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const rng = new Random(21);
  const n = 8;
  /** A well-conditioned SPD matrix MᵀM/n + I. */
  const spd = (): c.Tensor => c.keep(c.tidy(() => { const m = randn(rng, [n, n]); return c.add(c.mul(c.matmul(m, m, { transA: true }), 1 / n), c.eye(n, 'float64')); }));
  const A = spd(), B = spd();
  const denseInverse = (m: c.Tensor, damping = 0): c.Tensor => c.direct(c.denseOperator(m), c.eye(n, 'float64'), { damping }).x;

  s('(A⁻¹)·(A·v) = v, for matvec and matmat, with direct, cg and block-cg', () => {
    const v = randn(rng, [n]), V = randn(rng, [n, 3]);
    for (const [name, options] of [['direct', {}], ['cg', { rtol: 1e-14 }], ['block-cg', { rtol: 1e-14 }]] as const) {
      const inv = c.inverseOf(c.denseOperator(A), name, options);
      assert.is(inv.size, n);
      assert.ok(inv.symmetric);
      assert.ok(relErr(inv.matvec(c.matmul(A, v)).dataSync(), v.dataSync()) < 1e-10, name);
      assert.ok(relErr(c.applyToColumns(inv, c.matmul(A, V)).dataSync(), V.dataSync()) < 1e-10, `${name} matmat`);
      inv.dispose();
    }
  });

  s('the solver damping: inverseOf(A, …, { damping: λ }) = (A + λI)⁻¹', () => {
    const v = randn(rng, [n]);
    const inv = c.inverseOf(c.denseOperator(A), 'direct', { damping: 0.3 });
    const want = c.matmul(denseInverse(A, 0.3), v).dataSync();
    assert.ok(relErr(inv.matvec(v).dataSync(), want) < 1e-10);
    inv.dispose();
  });

  s('sum, scale, chain and block-diagonal with an inverse equal the dense algebra', () => {
    const v = randn(rng, [n]);
    const Ainv = c.inverseOf(c.denseOperator(A), 'direct');
    const Ai = denseInverse(A);
    const dense = (m: c.Tensor): Float64Array => Float64Array.from(c.matmul(m, v).dataSync());
    // B + A⁻¹
    const sum = c.sumOperator([c.denseOperator(B), Ainv]);
    assert.ok(relErr(sum.matvec(v).dataSync(), dense(c.add(B, Ai))) < 1e-10, 'sum');
    // 2.5·A⁻¹
    assert.ok(relErr(c.scaledOperator(Ainv, 2.5).matvec(v).dataSync(), dense(c.mul(Ai, 2.5))) < 1e-10, 'scale');
    // A·A⁻¹ = I and B·A⁻¹·B
    assert.ok(relErr(c.chainOperator([c.denseOperator(A), Ainv]).matvec(v).dataSync(), v.dataSync()) < 1e-10, 'chain A·A⁻¹');
    const bab = c.chainOperator([c.denseOperator(B), Ainv, c.denseOperator(B)], { symmetric: true });
    assert.ok(relErr(bab.matvec(v).dataSync(), dense(c.matmul(B, c.matmul(Ai, B)))) < 1e-10, 'chain B·A⁻¹·B');
    assert.ok(relErr(c.toDense(bab).dataSync(), c.matmul(B, c.matmul(Ai, B)).dataSync()) < 1e-10, 'chain matmat');
    // diag(A⁻¹, B)
    const w = randn(rng, [2 * n]);
    const bd = c.blockDiagonalOf([Ainv, c.denseOperator(B)]);
    const want = [...c.matmul(Ai, c.slice(w, [0], [n])).dataSync(), ...c.matmul(B, c.slice(w, [n], [n])).dataSync()];
    assert.is(bd.size, 2 * n);
    assert.ok(relErr(bd.matvec(w).dataSync(), want) < 1e-10, 'block-diagonal');
    // The inverse of the inverse, through a solver on it: (A⁻¹)⁻¹·v = A·v.
    const back = c.inverseOf(Ainv, 'cg', { rtol: 1e-14 });
    assert.ok(relErr(back.matvec(v).dataSync(), dense(A)) < 1e-9, 'inverse of inverse');
    back.dispose();
    Ainv.dispose();
  });

  s('errors: an unknown solver, a vector of the wrong size', () => {
    throwsType(() => c.inverseOf(c.denseOperator(A), 'magic'), c.InputError);
    const inv = c.inverseOf(c.denseOperator(A), 'direct');
    throwsType(() => inv.matvec(randn(rng, [n + 1])), c.ShapeError);
    inv.dispose();
  });

  s.run();
}
