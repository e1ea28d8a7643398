import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends } from '../helpers.js';
import { smallProblem } from '../influence/problem.js';

/**
 * Operators own curvature: every curvature operator declares its structure (symmetric, psd, the
 * shift λ_wd + λ it contains and its base), so that a solver given only the operator — through
 * the public fitSolver, no influence API around it — gives the same answer as InfluenceModel.
 * Tolerances: float64 on every backend; 1e-10 relative where the two paths do the same algebra
 * (they differ at most by round-off), 1e-12 for a declared split base + shift·I.
 */
for (const backend of testBackends()) {
  const s = suite(`operator structure and fitSolver on curvature operators [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  // 4-5-3 tanh MLP, 43 parameters, cross-entropy, weight decay 1e-2, at a minimum (L-BFGS).
  const { objective, theta, train, test } = smallProblem();
  const P = theta.size;

  /** Solutions through InfluenceModel (its inverseHvp of the test gradients), as [P, m] host data. */
  const throughInfluence = (solver: c.SolverName, solverOptions: c.SolverOptions, hessian: 'exact' | 'gauss-newton' = 'exact'): Float64Array => {
    const infl = c.InfluenceModel.fit(objective, theta, train, { hessian, solver, solverOptions });
    try {
      const g = infl.gradients(test);
      const { x } = infl.inverseHvp(g);
      return Float64Array.from(c.transpose(x).dataSync());
    } finally {
      infl.dispose();
    }
  };
  const rhs = (): c.Tensor => c.transpose(objective.perSampleGradients(theta, test));

  s('the README example: fitSolver(nystrom, H, …) on a curvature operator equals the InfluenceModel solve', () => {
    // README.md / docs/API.md: const solver = c.fitSolver('nystrom', H, { rank: 10, powerIterations: 2, damping: 1e-3 });
    const H = c.hessianOperator(objective, theta, train, { damping: 0 });
    const options = { rank: 10, powerIterations: 2, damping: 1e-3 };
    const solver = c.fitSolver('nystrom', H, options);
    const b = rhs();
    const x = Float64Array.from(solver.solve(b).x.dataSync());
    solver.dispose();
    const viaInfluence = throughInfluence('nystrom', options);
    assert.ok(relErr(x, viaInfluence) < 1e-10, `public vs InfluenceModel: rel ${relErr(x, viaInfluence)}`);
    // Both sketch the data part and keep λ_wd + λ = 1.1e-2 in the complement (the old public path
    // divided the complement by λ = 1e-3 alone, the weight decay being invisible to it).
    const r = c.fitSolver('nystrom', H, options).solve(b);
    assert.ok(Math.abs((r.info!['lambda'] as number) - 1.1e-2) < 1e-15, `λ ${String(r.info!['lambda'])}`);
  });

  for (const name of ['nystrom', 'arnoldi'] as const) {
    for (const hessian of ['exact', 'gauss-newton'] as const) {
      s(`fitSolver('${name}', ${hessian} operator, { rank, damping }) equals InfluenceModel's solve (≤ 1e-10)`, () => {
        const op = hessian === 'exact' ? c.hessianOperator(objective, theta, train) : c.gaussNewtonOperator(objective, theta, train);
        const options = { rank: 8, damping: 1e-3, seed: 3 };
        const x = Float64Array.from(c.fitSolver(name, op, options).solve(rhs()).x.dataSync());
        const viaInfluence = throughInfluence(name, options, hessian);
        assert.ok(relErr(x, viaInfluence) < 1e-10, `rel ${relErr(x, viaInfluence)}`);
        // Full rank: the low-rank solve is the exact one (Nyström needs a psd base: Gauss–Newton only;
        // the data Hessian of this problem has negative eigenvalues).
        if (name === 'nystrom' && hessian === 'exact') return;
        const full = Float64Array.from(c.fitSolver(name, op, { ...options, rank: P }).solve(rhs()).x.dataSync());
        const exact = Float64Array.from(c.direct(op, rhs(), { damping: 1e-3 }).x.dataSync());
        assert.ok(relErr(full, exact) < 1e-8, `full rank vs direct: rel ${relErr(full, exact)}`);
      });
    }
  }

  s('curvature operators declare symmetric, psd, shift = λ_wd + λ and base (A = base + shift·I)', () => {
    const rng = new Random(11);
    const v = randn(rng, [P]);
    const damping = 0.25;
    const ops: [string, c.LinearOperator, boolean | 'unknown'][] = [
      ['hessian', c.hessianOperator(objective, theta, train, { damping }), 'unknown'],
      ['gauss-newton', c.gaussNewtonOperator(objective, theta, train, { damping }), true],
      ['empirical-fisher', c.empiricalFisherOperator(objective, theta, train, { damping }), true],
      ['minibatch', c.minibatchHessianOperator(objective, theta, train, { damping, hessian: 'gauss-newton' }), true],
      ['gauss-newton-fd', c.gaussNewtonFiniteDifferenceOperator(objective, theta, train, { damping }), true],
    ];
    for (const [name, op, psd] of ops) {
      assert.ok(op.symmetric, name);
      assert.is(op.psd, psd, name);
      assert.ok(c.isShiftedOperator(op), name);
      const { base, shift } = c.splitShift(op);
      assert.ok(Math.abs(shift - (1e-2 + damping)) < 1e-15, `${name}: shift ${shift}`);
      const split = c.add(base.matvec(v), c.mul(v, shift)).dataSync();
      assert.ok(relErr(split, op.matvec(v).dataSync()) < 1e-12, `${name}: base + shift·I`);
    }
    // The curvature operators also carry what LiSSA, DataInf and block-diagonal mode need.
    const H = c.hessianOperator(objective, theta, train, { damping });
    assert.ok(c.isStochasticOperator(H));
    assert.is(H.numSamples, train.x.shape[0]);
    assert.equal(H.blocks.map((b) => b.size), c.blocksFromModel(objective.model).map((b) => b.size));
    const g = H.perSampleGradients();
    assert.equal(g.shape, [train.x.shape[0], P]);
    g.dispose();
    // A block of a psd operator is psd; a shifted psd operator with β ≥ 0 is psd.
    const G = c.gaussNewtonOperator(objective, theta, train);
    assert.is(c.restrictToBlock(G, 0, 5).psd, true);
    assert.is(c.shifted(G, 1).psd, true);
    assert.is(c.shifted(G, -1).psd, 'unknown');
  });

  s('one damping semantics: damping inside the operator or in the solver gives the same solve', () => {
    const b = rhs();
    for (const name of ['direct', 'cg', 'nystrom', 'arnoldi'] as const) {
      const options = { rank: 8, seed: 1, rtol: 1e-12 };
      const inside = c.fitSolver(name, c.hessianOperator(objective, theta, train, { damping: 0.05 }), options).solve(b).x.dataSync();
      const outside = c.fitSolver(name, c.hessianOperator(objective, theta, train), { ...options, damping: 0.05 }).solve(b).x.dataSync();
      assert.ok(relErr(inside, outside) < 1e-8, `${name}: rel ${relErr(inside, outside)}`);
    }
  });

  s.run();
}
