import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { relErr } from '../helpers.js';
import {
  addIdentity, matvecDense, numParams, refFactors, refGaussNewton, refKfacDense, refLayers, solveSpd, block,
  type RefNet,
} from '../operators/kronecker-reference.js';
import { arr, problem } from '../operators/kronecker-problem.js';

/**
 * Issue 12: the registry's kfac / ekfac solvers (and the ekfac preconditioner for CG) on small
 * float64 problems, checked against dense references built here (kronecker-reference.ts):
 *   - the form follows the operator (gaussNewtonOperator and hessianOperator → Gauss–Newton factors,
 *     empiricalFisherOperator → empirical-Fisher factors) and the shift it declares (weight decay +
 *     operator damping) is added with the solver's λ: (G ⊗ A + (wd + λ_op + λ)·I)·x = b, ≤ 1e-10
 *     relative residual against the dense reference (κ ≲ 1e3 here, round-off ~1e-13);
 *   - perBlockDamping and dampingHeuristic (λ_l = 0.1 × the block's mean eigenvalue: for K-FAC
 *     tr(G)·tr(A)/(out·inDim), for EK-FAC tr(GN_l)/size_l since Σ Λ = (1/N)ΣΣ‖δãᵀ‖² = tr(GN_l));
 *   - CG preconditioned by EK-FAC reaches the dense solution of the exact problem.
 */
const s = suite('kfac / ekfac solvers against dense references');
s.before(() => { c.setBackend('js'); });

const NET: RefNet = { widths: [5, 4, 3] };
const WD = 0.01, OP_DAMPING = 0.02, LAMBDA = 0.1;

function rhs(P: number, seed: number): Float64Array {
  const rng = new Random(seed);
  return Float64Array.from({ length: P }, () => rng.normal());
}

s('kfac: (G ⊗ A + (wd + λ_op + λ)·I)·x = b with the factors of the operator\'s form (GN, Hessian → GN, empirical Fisher)', () => {
  const p = problem(NET, 'cross-entropy', 20, 9, WD);
  const P = numParams(NET);
  const ops: [string, c.LinearOperator, 'gauss-newton' | 'empirical-fisher'][] = [
    ['gaussNewtonOperator', c.gaussNewtonOperator(p.objective, p.theta, p.data, { damping: OP_DAMPING }), 'gauss-newton'],
    ['hessianOperator', c.hessianOperator(p.objective, p.theta, p.data, { damping: OP_DAMPING }), 'gauss-newton'],
    ['empiricalFisherOperator', c.empiricalFisherOperator(p.objective, p.theta, p.data, { damping: OP_DAMPING }), 'empirical-fisher'],
  ];
  const b = rhs(P, 1);
  for (const [name, op, form] of ops) {
    const K = addIdentity(refKfacDense(NET, refFactors(p.net, p.loss, p.thetaArr, p.ref, form)), P, WD + OP_DAMPING + LAMBDA);
    const solver = c.fitSolver('kfac', op, { damping: LAMBDA });
    const r = solver.solve(c.tensor(b, [P], 'float64'));
    assert.is(r.method, 'kfac');
    assert.is(r.info?.['form'], form, `${name}: the solve reports the form it fitted`);
    const x = arr(r.x);
    const e = relErr(matvecDense(K, P, x), b);
    assert.ok(e <= 1e-10, `${name}: relative residual against the dense ${form} K-FAC ${e}`);
    // Several right-hand sides at once: column j = the solve of b_j.
    const B = new Float64Array(P * 2), b2 = rhs(P, 2);
    for (let i = 0; i < P; i++) { B[i * 2] = b[i]!; B[i * 2 + 1] = b2[i]!; }
    const X = arr(solver.solve(c.tensor(B, [P, 2], 'float64')).x);
    const x2 = solveSpd(K, P, b2);
    assert.ok(relErr(Float64Array.from({ length: P }, (_, i) => X[i * 2]!), x) <= 1e-12, `${name}: matmat column 0`);
    assert.ok(relErr(Float64Array.from({ length: P }, (_, i) => X[i * 2 + 1]!), x2) <= 1e-10, `${name}: matmat column 1 vs Cholesky`);
    solver.dispose();
  }
});

s('ekfac: the solution is (EK-FAC + (wd + λ_op + λ)·I)⁻¹ b, and equals kfac on one example of one Linear layer', () => {
  const p = problem(NET, 'cross-entropy', 20, 9, WD);
  const P = numParams(NET);
  const b = rhs(P, 3);
  const op = c.gaussNewtonOperator(p.objective, p.theta, p.data, { damping: OP_DAMPING });
  const x = arr(c.fitSolver('ekfac', op, { damping: LAMBDA }).solve(c.tensor(b, [P], 'float64')).x);
  const curv = c.KroneckerCurvature.fit(p.objective, p.theta, p.data, { corrected: true });
  const dense = arr(c.toDense(c.kroneckerOperator(curv, { shift: 0 })));
  const e = relErr(matvecDense(addIdentity(dense, P, WD + OP_DAMPING + LAMBDA), P, x), b);
  assert.ok(e <= 1e-10, `ekfac relative residual ${e}`);
  curv.dispose();
  // One example, one Linear layer: EK-FAC = K-FAC = GN (kronecker-exact.test.ts); so the solves agree with the dense GN solve.
  const q = problem({ widths: [5, 3] }, 'cross-entropy', 1, 2, WD);
  const Pq = numParams(q.net), bq = rhs(Pq, 4);
  const gn = addIdentity(refGaussNewton(q.net, q.loss, q.thetaArr, q.ref), Pq, WD + LAMBDA);
  const want = solveSpd(gn, Pq, bq);
  for (const name of ['kfac', 'ekfac'] as const) {
    const xq = arr(c.fitSolver(name, c.gaussNewtonOperator(q.objective, q.theta, q.data), { damping: LAMBDA }).solve(c.tensor(bq, [Pq], 'float64')).x);
    assert.ok(relErr(xq, want) <= 1e-10, `${name} vs dense GN solve: ${relErr(xq, want)}`);
  }
});

s('fisherSamples switches the solver to the sampled Fisher (seeded); a ChunkSource gives the in-memory solution (≤ 1e-12)', () => {
  const p = problem(NET, 'cross-entropy', 20, 9, WD);
  const P = numParams(NET);
  const b = c.tensor(rhs(P, 8), [P], 'float64');
  for (const name of ['kfac', 'ekfac'] as const) {
    const op = c.hessianOperator(p.objective, p.theta, p.data);
    const r1 = c.fitSolver(name, op, { damping: LAMBDA, fisherSamples: 3, seed: 5 }).solve(b);
    const r2 = c.fitSolver(name, op, { damping: LAMBDA, fisherSamples: 3, seed: 5 }).solve(b);
    const r3 = c.fitSolver(name, op, { damping: LAMBDA, fisherSamples: 3, seed: 6 }).solve(b);
    assert.is(r1.info?.['form'], 'sampled-fisher', `${name}: form`);
    assert.equal(Array.from(r1.x.dataSync()), Array.from(r2.x.dataSync()), `${name}: same seed, same solution`);
    assert.ok(relErr(arr(r3.x), arr(r1.x)) > 1e-8, `${name}: another seed, another solution`);
    const mem = arr(c.fitSolver(name, op, { damping: LAMBDA }).solve(b).x);
    const chunked = c.gaussNewtonOperator(p.objective, p.theta, c.datasetChunks(p.data, [7, 6, 7]));
    const xc = arr(c.fitSolver(name, chunked, { damping: LAMBDA }).solve(b).x);
    assert.ok(relErr(xc, mem) <= 1e-12, `${name}: chunked vs in-memory ${relErr(xc, mem)}`);
  }
});

s('perBlockDamping [λ₀, λ₁] adds λ_l to layer l\'s block', () => {
  const p = problem(NET, 'cross-entropy', 20, 9, WD);
  const P = numParams(NET);
  const lambdas = [0.3, 0.004];
  const K = addIdentity(refKfacDense(NET, refFactors(p.net, p.loss, p.thetaArr, p.ref)), P, WD);
  refLayers(NET).forEach((l, k) => { for (let i = 0; i < l.size; i++) K[(l.offset + i) * P + l.offset + i]! += lambdas[k]!; });
  const b = rhs(P, 5);
  const x = arr(c.fitSolver('kfac', c.gaussNewtonOperator(p.objective, p.theta, p.data), { perBlockDamping: lambdas }).solve(c.tensor(b, [P], 'float64')).x);
  assert.ok(relErr(matvecDense(K, P, x), b) <= 1e-10, `perBlockDamping residual ${relErr(matvecDense(K, P, x), b)}`);
});

s('dampingHeuristic: λ_l = 0.1 × the mean eigenvalue of the block (K-FAC: tr G·tr A/(out·inDim); EK-FAC: tr(GN_l)/size_l)', () => {
  const p = problem(NET, 'cross-entropy', 20, 9, WD);
  const P = numParams(NET);
  const factors = refFactors(p.net, p.loss, p.thetaArr, p.ref);
  const gn = refGaussNewton(p.net, p.loss, p.thetaArr, p.ref);
  const tr = (M: Float64Array, n: number): number => { let t = 0; for (let i = 0; i < n; i++) t += M[i * n + i]!; return t; };
  const layers = refLayers(NET);
  const kfacLambda = layers.map((l, k) => 0.1 * tr(factors[k]!.G, l.outF) * tr(factors[k]!.A, l.inDim) / (l.outF * l.inDim));
  const ekfacLambda = layers.map((l) => 0.1 * tr(block(gn, P, l.offset, l.size), l.size) / l.size);
  const op = c.gaussNewtonOperator(p.objective, p.theta, p.data);
  const b = rhs(P, 6);
  // K-FAC: fully dense reference.
  const K = addIdentity(refKfacDense(NET, factors), P, WD);
  layers.forEach((l, k) => { for (let i = 0; i < l.size; i++) K[(l.offset + i) * P + l.offset + i]! += kfacLambda[k]!; });
  const xk = arr(c.fitSolver('kfac', op, { dampingHeuristic: true }).solve(c.tensor(b, [P], 'float64')).x);
  assert.ok(relErr(matvecDense(K, P, xk), b) <= 1e-10, `kfac heuristic residual ${relErr(matvecDense(K, P, xk), b)} (λ_l = ${kfacLambda.join(', ')})`);
  // EK-FAC: the (separately tested) EK-FAC operator with the λ_l computed here.
  const curv = c.KroneckerCurvature.fit(p.objective, p.theta, p.data, { corrected: true });
  const want = arr(c.kroneckerOperator(curv, { shift: WD }).inverse(ekfacLambda).matvec(c.tensor(b, [P], 'float64')));
  const xe = arr(c.fitSolver('ekfac', op, { dampingHeuristic: true }).solve(c.tensor(b, [P], 'float64')).x);
  assert.ok(relErr(xe, want) <= 1e-10, `ekfac heuristic vs inverse(λ_l = ${ekfacLambda.join(', ')}): ${relErr(xe, want)}`);
  curv.dispose();
});

s('cg with preconditioner ekfac / kfac reaches the dense solution of (GN + wd + λ)x = b (iterations printed: on 39 parameters plain CG is already short)', () => {
  const p = problem(NET, 'cross-entropy', 20, 9, WD);
  const P = numParams(NET);
  const op = c.gaussNewtonOperator(p.objective, p.theta, p.data);
  const H = arr(c.toDense(op));
  const b = rhs(P, 7);
  const want = solveSpd(addIdentity(H, P, LAMBDA), P, b);
  const plain = c.fitSolver('cg', op, { damping: LAMBDA, rtol: 1e-12 }).solve(c.tensor(b, [P], 'float64'));
  for (const pre of ['ekfac', 'kfac'] as const) {
    const r = c.fitSolver('cg', op, { damping: LAMBDA, rtol: 1e-12, preconditioner: pre }).solve(c.tensor(b, [P], 'float64'));
    const e = relErr(arr(r.x), want);
    console.log(`    cg + ${pre} on a 5-4-3 MLP (P = ${P}): ${r.iterations} iterations (plain CG ${plain.iterations}), rel err ${e.toExponential(2)}`);
    assert.ok(r.converged, `${pre}: converged`);
    assert.ok(e <= 1e-9, `${pre}: rel err vs dense ${e}`);
    assert.is((r.info?.['preconditioner'] as { kind?: string } | undefined)?.kind, pre, 'the solve reports its preconditioner');
  }
});

s.run();
