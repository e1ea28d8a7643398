import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends, throwsType } from '../helpers.js';
import { denseSolve, logSpaced, withSpectrum } from './spectra.js';

/**
 * Diagonal, DataInf, the empirical Fisher, block-diagonal mode and the registry. Closed forms are
 * compared with dense float64 algebra at 1e-10 (exact algebra, only summation order differs).
 */
const rng = new Random(41);

function tinyProblem(): { objective: c.Objective; theta: c.Tensor; data: c.Dataset; model: c.Sequential } {
  const n = 40;
  const model = c.Sequential.mlp([4, 3, 2], 'tanh');
  const objective = new c.Objective(model, c.crossEntropyLoss, 1e-2);
  const x = randn(rng, [n, 4]);
  const y = c.tensor(Int32Array.from({ length: n }, (_, i) => (x.dataSync()[i * 4]! + 0.3 * rng.normal() > 0 ? 1 : 0)), [n], 'int32');
  const data = { x: c.keep(x), y: c.keep(y) };
  const { theta } = c.fitLbfgs(objective, model.init({ seed: 3, dtype: 'float64' }), data, { maxIter: 100 });
  return { objective, theta: c.keep(theta), data, model };
}

for (const backend of testBackends()) {
  const test = suite(`structured solvers and registry [${backend}]`);
  test.before(() => { c.setBackend(backend); });

  test('diagonal: exact from diagonal(), Hutchinson otherwise (exact for a diagonal matrix), damping, non-positive entries', () => {
    const d = c.tensor([1, 2, 4, 8], [4], 'float64');
    const b = c.tensor([1, 1, 1, 1], [4], 'float64');
    const r = c.diagonalSolve(c.diagonalOperator(d), b, { damping: 1 });
    assert.ok(relErr(r.x.dataSync(), [1 / 2, 1 / 3, 1 / 5, 1 / 9]) < 1e-15);
    assert.is(r.info!['diagonal'], 'exact');
    // A dense diagonal matrix has no diagonal(): Rademacher probes recover it exactly.
    const dense = c.denseOperator(c.mul(c.eye(4, 'float64'), d));
    const h = c.diagonalSolve(dense, c.reshape(b, [4, 1]), { probes: 3, computeResidual: true });
    assert.ok(relErr(h.x.dataSync(), [1, 1 / 2, 1 / 4, 1 / 8]) < 1e-15);
    assert.ok(h.residualNorm < 1e-14);
    assert.match(String(h.info!['diagonal']), /hutchinson/);
    throwsType(() => c.fitDiagonal(c.diagonalOperator(c.tensor([1, -1], [2], 'float64'))), c.NotPositiveDefiniteError);
  });

  test('empiricalFisherOperator = (1/N)·GᵀG + (λ_wd + λ)·I, with closed-form diagonal and trace; cached or streamed', () => {
    const { objective, theta, data } = tinyProblem();
    const g = c.perSampleGradientMatrix(objective, theta, data, 16);
    const n = data.x.shape[0]!, p = theta.size;
    const shift = 1e-2 + 0.3;
    const f = c.add(c.mul(c.matmul(g, g, { transA: true }), 1 / n), c.mul(c.eye(p, 'float64'), shift));
    for (const cacheLimit of [undefined, 0]) {
      const op = c.empiricalFisherOperator(objective, theta, data, { damping: 0.3, batchSize: 16, ...(cacheLimit !== undefined ? { cacheLimit } : {}) });
      assert.is(op.shift, shift);
      const v = randn(rng, [p]), vv = randn(rng, [p, 3]);
      assert.ok(relErr(op.matvec(v).dataSync(), c.matmul(f, v).dataSync()) < 1e-12);
      assert.ok(relErr(c.applyToColumns(op, vv).dataSync(), c.matmul(f, vv).dataSync()) < 1e-12);
      const fd = f.dataSync();
      assert.ok(relErr(op.diagonal!().dataSync(), Array.from({ length: p }, (_, i) => fd[i * p + i]!)) < 1e-12);
      assert.ok(Math.abs(op.trace!() - Array.from({ length: p }, (_, i) => fd[i * p + i]!).reduce((a, b) => a + b)) < 1e-10);
      assert.ok(relErr(c.toDense(op.base).dataSync(), c.sub(f, c.mul(c.eye(p, 'float64'), shift)).dataSync()) < 1e-12);
      op.dispose();
    }
  });

  test('datainf: the inverse harmonic mean (1/N)Σ(gᵢgᵢᵀ + λI)⁻¹ by Sherman–Morrison, per block', () => {
    const n = 7, p = 9;
    const g = randn(rng, [n, p]);
    const b = randn(rng, [p, 2]);
    /** (1/N)·Σᵢ (gᵢgᵢᵀ + λI)⁻¹·b, each inverse by a dense solve. */
    const reference = (gg: c.Tensor, bb: c.Tensor, lambda: number): Float64Array => {
      const q = gg.shape[1]!;
      let acc = c.zeros([q, bb.shape[1]!], 'float64');
      for (let i = 0; i < gg.shape[0]!; i++) {
        const gi = c.slice(gg, [i, 0], [1, q]);
        const m = c.add(c.matmul(gi, gi, { transA: true }), c.mul(c.eye(q, 'float64'), lambda));
        acc = c.add(acc, c.tensor(denseSolve(m, bb), [q, bb.shape[1]!], 'float64'));
      }
      return Float64Array.from(c.mul(acc, 1 / gg.shape[0]!).dataSync());
    };
    const r = c.dataInf(g, b, { damping: 0.7 });
    assert.ok(relErr(r.x.dataSync(), reference(g, b, 0.7)) < 1e-10);
    // Blocks [0, 4) and [4, 9), each with its own λ.
    const blocks = [{ offset: 0, size: 4 }, { offset: 4, size: 5 }];
    const rb = c.dataInf(g, b, { blocks, perBlockDamping: [0.5, 2] });
    const top = reference(c.slice(g, [0, 0], [n, 4]), c.slice(b, [0, 0], [4, 2]), 0.5);
    const bottom = reference(c.slice(g, [0, 4], [n, 5]), c.slice(b, [4, 0], [5, 2]), 2);
    assert.ok(relErr(rb.x.dataSync(), [...top, ...bottom]) < 1e-10);
    // One sample: Sherman–Morrison is the exact inverse of ggᵀ + λI.
    const g1 = c.slice(g, [0, 0], [1, p]);
    const exact = denseSolve(c.add(c.matmul(g1, g1, { transA: true }), c.mul(c.eye(p, 'float64'), 0.3)), b);
    assert.ok(relErr(c.dataInf(g1, b, { damping: 0.3 }).x.dataSync(), exact) < 1e-12);
    // λ ≫ ‖g‖²: it approaches the exact (G + λI)⁻¹ (Kwon et al., Theorem 1).
    const fisher = c.add(c.mul(c.matmul(g, g, { transA: true }), 1 / n), c.mul(c.eye(p, 'float64'), 1e3));
    assert.ok(relErr(c.dataInf(g, b, { damping: 1e3 }).x.dataSync(), denseSolve(fisher, b)) < 1e-3);
    throwsType(() => c.fitDataInf(g, {}), c.InputError, /damping/);
    throwsType(() => c.fitDataInf(g, { damping: 1, blocks: [{ offset: 0, size: 4 }] }), c.ShapeError);
    throwsType(() => c.dataInf(g, randn(rng, [8]), { damping: 1 }), c.ShapeError);
    assert.ok(c.fitDataInf(g, { dampingHeuristic: true }));
  });

  test('block-diagonal: restrictToBlock is the dense block; per-block solves with per-block damping', () => {
    const { a, op } = withSpectrum(rng, logSpaced(12, 0.5, 20));
    const blocks = [{ offset: 0, size: 5 }, { offset: 5, size: 4 }, { offset: 9, size: 3 }];
    const ad = a.dataSync();
    const blockOf = (o: number, s: number) => c.tensor(Array.from({ length: s * s }, (_, k) => ad[(o + Math.floor(k / s)) * 12 + o + (k % s)]!), [s, s], 'float64');
    const r1 = c.restrictToBlock(op, 5, 4);
    assert.ok(relErr(c.toDense(r1).dataSync(), blockOf(5, 4).dataSync()) < 1e-15);
    const b = randn(rng, [12, 2]);
    const damp = [0.1, 0.2, 0.3];
    const ref = blocks.flatMap((bl, i) => Array.from(denseSolve(blockOf(bl.offset, bl.size), c.slice(b, [bl.offset, 0], [bl.size, 2]), damp[i]!)));
    for (const name of ['direct', 'cg', 'block-cg', 'arnoldi'] as const) {
      const s = c.fitBlockDiagonal(op, blocks, name, { rtol: 1e-12, rank: 5 }, damp);
      const r = s.solve(b);
      assert.ok(relErr(r.x.dataSync(), ref) < 1e-8, `${name}: rel ${relErr(r.x.dataSync(), ref)}`);
      assert.is((r.info!['perBlock'] as unknown[]).length, 3);
      s.dispose();
    }
    // A factory per block (here: explicit dense blocks) instead of restricting the full operator.
    const viaFactory = c.fitBlockDiagonal((bl) => c.denseOperator(blockOf(bl.offset, bl.size)), blocks, 'direct', {}, damp).solve(b);
    assert.ok(relErr(viaFactory.x.dataSync(), ref) < 1e-10);
    // The block-diagonal part as an operator agrees.
    const bd = c.blockDiagonalOperator(op, blocks);
    const x = c.tensor(ref, [12, 2], 'float64');
    const back = c.add(c.applyToColumns(bd, x), c.mul(x, c.tensor([...new Array(5).fill(0.1), ...new Array(4).fill(0.2), ...new Array(3).fill(0.3)], [12, 1], 'float64')));
    assert.ok(relErr(back.dataSync(), b.dataSync()) < 1e-10);
    throwsType(() => c.fitBlockDiagonal(op, [{ offset: 0, size: 5 }, { offset: 6, size: 6 }], 'cg'), c.ShapeError);
    throwsType(() => c.fitBlockDiagonal(op, [{ offset: 0, size: 12 }], 'cg', {}, [1, 2]), c.InputError);
    throwsType(() => c.restrictToBlock(op, 10, 3), c.ShapeError);
  });

  test('blocksFromModel: one block per layer with parameters, in state_dict order', () => {
    const model = c.Sequential.mlp([3, 4, 2], 'tanh');
    assert.equal(c.blocksFromModel(model), [{ offset: 0, size: 16, name: '0' }, { offset: 16, size: 10, name: '2' }]);
    assert.equal(c.blocksFromModel(model, { perParameter: true }).map((b) => b.size), [12, 4, 8, 2]);
  });

  test('registry: every solver by name on one SPD system (the curvature operator declares all they need)', () => {
    const { objective, theta, data, model } = tinyProblem();
    const damping = 0.05;
    const op = c.gaussNewtonOperator(objective, theta, data, { damping });
    const b = c.transpose(objective.perSampleGradients(theta, c.batchOf(data, 0, 2)));
    const ref = c.direct(op, b).x.dataSync();
    const p = theta.size;
    // Exact methods (error ≤ κ·rtol or round-off); LiSSA by its sampling-error bound (0.1) plus slack;
    // diagonal, DataInf, K-FAC and EK-FAC are structural approximations (checked against their closed forms elsewhere).
    const tolerance: Record<c.SolverName, number> = {
      direct: 1e-10, cg: 1e-6, 'block-cg': 1e-6, neumann: 1e-6, arnoldi: 1e-8, nystrom: 1e-8, lissa: 0.2, diagonal: Infinity, datainf: Infinity,
      kfac: Infinity, ekfac: Infinity,
    };
    for (const name of Object.keys(c.SOLVERS) as c.SolverName[]) {
      const s = c.fitSolver(name, op, { rtol: 1e-10, rank: p, seed: 1 });
      const r = s.solve(b);
      assert.equal(r.x.shape, [p, 2], name);
      assert.ok(r.x.dataSync().every(Number.isFinite), name);
      const e = relErr(r.x.dataSync(), ref);
      assert.ok(e < tolerance[name], `${name}: rel ${e}`);
      s.dispose();
    }
    // The operator declares op = base + (λ_wd + λ)·I: the low-rank methods keep the complement exact.
    const shift = 1e-2 + damping;
    assert.is(op.shift, shift);
    assert.is(op.psd, true);
    const lowRank = c.fitSolver('arnoldi', op, { rank: 3 }).solve(b);
    assert.ok(Math.abs((lowRank.info!['lambda'] as number) - shift) < 1e-15);
    const { values, vectors } = c.eigh(c.toDense(op));
    const top = c.slice(vectors, [0, p - 3], [p, 3]);
    const coeff = c.tensor(Array.from(values.dataSync()).slice(p - 3).map((v) => 1 / v - 1 / shift), [3, 1], 'float64');
    const formula = c.add(c.matmul(top, c.mul(c.matmul(top, b, { transA: true }), coeff)), c.mul(b, 1 / shift));
    assert.ok(relErr(lowRank.x.dataSync(), formula.dataSync()) < 1e-6, `rel ${relErr(lowRank.x.dataSync(), formula.dataSync())}`);
    // An operator that declares no shift (here the same matrix, densified) has its complement dropped at λ = 0.
    const dropped = c.fitSolver('arnoldi', c.denseOperator(c.toDense(op)), { rank: 3 }).solve(b);
    assert.is(dropped.info!['complement'], 'dropped (λ = 0)');
    // Preconditioners by name; block-diagonal from the model's layers.
    for (const preconditioner of ['jacobi', 'nystrom', 'kfac', 'ekfac'] as const) {
      const r = c.fitSolver('cg', op, { rtol: 1e-10, preconditioner, rank: 5 }).solve(b);
      assert.ok(relErr(r.x.dataSync(), ref) < 1e-6, preconditioner);
      assert.is((r.info!['preconditioner'] as { kind: string }).kind, preconditioner);
    }
    const blocks = c.blocksFromModel(model);
    const bd = c.fitSolver('cg', op, { rtol: 1e-12, blockDiagonal: true }).solve(b);
    const bdRef = c.fitBlockDiagonal(op, blocks, 'direct').solve(b);
    assert.ok(relErr(bd.x.dataSync(), bdRef.x.dataSync()) < 1e-8);
    // LiSSA on the block-diagonal part too (minibatch products restricted to each block).
    const lb = c.fitSolver('lissa', op, { blockDiagonal: true, seed: 2 }).solve(b);
    assert.ok(relErr(lb.x.dataSync(), bdRef.x.dataSync()) < 0.2);
    // DataInf from an empirical-Fisher operator: the same per-sample gradients and shift.
    const ef = c.empiricalFisherOperator(objective, theta, data, { damping });
    const fromEf = c.fitSolver('datainf', ef).solve(b).x.dataSync();
    assert.ok(fromEf.every(Number.isFinite));
    assert.ok(relErr(c.fitSolver('datainf', op).solve(b).x.dataSync(), fromEf) < 1e-12);
    // What a plain operator cannot do, said plainly.
    const plain = c.denseOperator(c.toDense(op));
    throwsType(() => c.fitSolver('lissa', plain), c.InputError, /minibatch/);
    throwsType(() => c.fitSolver('datainf', plain), c.InputError, /per-sample gradients/);
    throwsType(() => c.fitSolver('cg', plain, { blockDiagonal: true }), c.InputError, /layer blocks/);
    throwsType(() => c.fitSolver('magic', op), c.InputError);
    throwsType(() => c.fitSolver('cg', op, { preconditioner: 'ilu' as 'jacobi' }), c.InputError);
  });

  test.run();
}
