import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import * as est from '../../src/estimators/index.js';
import { Random } from '../../src/tensor/random.js';
import { relErr, testBackends, throwsType } from '../helpers.js';
import { diagOf, sumOf, withSpectrum } from './helpers.js';

/**
 * Randomized estimators against dense float64 matrices with known spectra. Statistical checks use
 * fixed seeds, so they are deterministic; each bound is what the estimator's own theory promises
 * (|error| ≤ 3 standard errors, SE ∝ 1/√m, Hutch++'s variance reduction), with the margin stated.
 */
const logSpaced = (n: number, lo: number, hi: number): number[] =>
  Array.from({ length: n }, (_, i) => lo * (hi / lo) ** (i / (n - 1)));

for (const backend of testBackends()) {
  c.setBackend(backend); // tensors made below, at module load, live on this backend
  const s = suite(`estimators [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const rng = new Random(21);
  const spd = withSpectrum(rng, logSpaced(60, 0.1, 10));
  const indefSpectrum = Array.from({ length: 60 }, (_, i) => (i % 2 === 0 ? 1 : -1) * (0.5 + i / 10));
  const indef = withSpectrum(rng, indefSpectrum);
  const traceOf = (lams: number[]): number => sumOf(lams);

  s('hutchinsonTrace: within 3 SE of the exact trace over 10 seeds (calibrated), both distributions, SPD and indefinite', () => {
    // The zᵢᵀAzᵢ are skewed (weighted χ², heavier for Gaussian probes and a few large eigenvalues),
    // so a normal interval at m = 100 covers a little less than nominal: assert every run within
    // 4 SE, ≥ 95% within 3 SE and ≥ 85% within 2 SE (nominal 99.7% and 95%) over the 40 runs.
    const z: number[] = [];
    for (const [name, m, exact] of [['spd', spd, traceOf(logSpaced(60, 0.1, 10))], ['indef', indef, traceOf(indefSpectrum)]] as const) {
      for (const distribution of ['rademacher', 'gaussian'] as const) {
        for (let seed = 0; seed < 10; seed++) {
          const r = est.hutchinsonTrace(m.op, { samples: 100, seed, distribution });
          assert.is(r.samples, 100);
          assert.ok(r.standardError > 0);
          z.push(Math.abs(r.estimate - exact) / r.standardError);
          assert.ok(z[z.length - 1]! <= 4, `${name} ${distribution} seed ${seed}: ${r.estimate} vs ${exact}, SE ${r.standardError}`);
        }
      }
    }
    assert.ok(z.filter((x) => x <= 3).length >= 0.95 * z.length, `within 3 SE: ${z.filter((x) => x <= 3).length}/${z.length}`);
    assert.ok(z.filter((x) => x <= 2).length >= 0.85 * z.length, `within 2 SE: ${z.filter((x) => x <= 2).length}/${z.length}`);
  });

  s('hutchinsonTrace: SE shrinks like 1/√m and matches the theoretical per-probe variance', () => {
    // Rademacher per-probe variance: 2(‖A‖_F² − Σ aᵢᵢ²); Gaussian: 2‖A‖_F².
    const fro2 = sumOf(logSpaced(60, 0.1, 10).map((l) => l * l));
    const d = diagOf(spd.a);
    const varRad = 2 * (fro2 - sumOf(Array.from(d, (x) => x * x))), varGauss = 2 * fro2;
    const small = est.hutchinsonTrace(spd.op, { samples: 50, seed: 3 });
    const large = est.hutchinsonTrace(spd.op, { samples: 800, seed: 3 });
    const ratio = large.standardError / small.standardError;
    // √(50/800) = 0.25; the SE's own relative error at m = 50 is ≈ 1/√(2·50) = 10%: allow ±30%.
    assert.ok(ratio > 0.25 * 0.7 && ratio < 0.25 * 1.3, `SE ratio ${ratio}`);
    assert.ok(Math.abs(large.standardError ** 2 * 800 / varRad - 1) < 0.2, `rademacher variance ${large.standardError ** 2 * 800} vs ${varRad}`);
    const g = est.hutchinsonTrace(spd.op, { samples: 800, seed: 3, distribution: 'gaussian' });
    assert.ok(Math.abs(g.standardError ** 2 * 800 / varGauss - 1) < 0.2, `gaussian variance ${g.standardError ** 2 * 800} vs ${varGauss}`);
    // The result does not depend on how many probes go through one operator call.
    const b1 = est.hutchinsonTrace(spd.op, { samples: 37, seed: 8, blockSize: 1 });
    const b7 = est.hutchinsonTrace(spd.op, { samples: 37, seed: 8, blockSize: 7 });
    assert.ok(Math.abs(b1.estimate - b7.estimate) <= 1e-12 * Math.abs(b1.estimate));
  });

  s('hutchPlusPlus beats Hutchinson at equal matvecs on a low-rank-dominated matrix (MSE over 30 seeds)', () => {
    const lams = [100, 80, 60, 40, 30, 20, 15, 10, 8, 6, ...Array.from({ length: 190 }, (_, i) => 0.01 + 0.001 * i)];
    const { op } = withSpectrum(rng, lams);
    const exact = traceOf(lams);
    let mseH = 0, msePP = 0;
    for (let seed = 0; seed < 30; seed++) {
      mseH += (est.hutchinsonTrace(op, { samples: 30, seed }).estimate - exact) ** 2 / 30;
      const pp = est.hutchPlusPlus(op, { matvecs: 30, seed });
      assert.is(pp.matvecs, 30);
      assert.is(pp.rank, 10);
      msePP += (pp.estimate - exact) ** 2 / 30;
    }
    // Q = orth(A·S) mostly captures the 10 large eigenvalues (not exactly: the bulk leaks into
    // A·S), so mainly the 0.01–0.2 bulk is left to sample: the MSE drops by ≈ 80–200× on such
    // matrices (the theory's O(1/m) vs O(1/m²) at m = 30); assert 20×.
    assert.ok(msePP * 20 < mseH, `Hutch++ MSE ${msePP} vs Hutchinson ${mseH}`);
    // Exactly low rank (rank 6 < ⌊m/3⌋): Q spans the range and the estimate is exact.
    const { op: lowRank } = withSpectrum(rng, [5, 4, 3, -2, 1, 0.5, ...Array.from({ length: 34 }, () => 0)]);
    const exactLow = est.hutchPlusPlus(lowRank, { matvecs: 30, seed: 1 });
    assert.ok(Math.abs(exactLow.estimate - 11.5) <= 1e-10, `low rank: ${exactLow.estimate}, rank ${exactLow.rank}`);
  });

  s('hutchinsonDiagonal: exact for a diagonal operator; converges like 1/√m with honest standard errors', () => {
    const dvals = c.tensor(Array.from({ length: 20 }, (_, i) => i - 7.5), [20], 'float64');
    for (const distribution of ['rademacher', 'gaussian'] as const) {
      const r = est.hutchinsonDiagonal(c.diagonalOperator(dvals), { samples: 3, seed: 1, distribution });
      assert.ok(relErr(r.diagonal.dataSync(), dvals.dataSync()) <= 1e-15);
      assert.ok(Math.max(...Array.from(r.standardError!.dataSync())) <= 1e-14);
    }
    const exact = diagOf(indef.a);
    const e100 = relErr(est.hutchinsonDiagonal(indef.op, { samples: 100, seed: 2 }).diagonal.dataSync(), exact);
    const r1600 = est.hutchinsonDiagonal(indef.op, { samples: 1600, seed: 2 });
    const e1600 = relErr(r1600.diagonal.dataSync(), exact);
    // √(1600/100) = 4: allow 2.5–6.
    assert.ok(e100 / e1600 > 2.5 && e100 / e1600 < 6, `error ratio ${e100 / e1600} (${e100}, ${e1600})`);
    for (const distribution of ['rademacher', 'gaussian'] as const) {
      const r = est.hutchinsonDiagonal(indef.op, { samples: 1600, seed: 4, distribution });
      const d = r.diagonal.dataSync(), se = r.standardError!.dataSync();
      let within2 = 0;
      for (let i = 0; i < exact.length; i++) {
        assert.ok(Math.abs(d[i]! - exact[i]!) <= 4 * se[i]!, `${distribution} entry ${i}: ${d[i]} vs ${exact[i]}, SE ${se[i]}`);
        if (Math.abs(d[i]! - exact[i]!) <= 2 * se[i]!) within2++;
      }
      // ≈ 95% of 60 entries should be within 2 SE; allow ≥ 50.
      assert.ok(within2 >= 50, `${distribution}: only ${within2}/60 within 2 SE`);
    }
    assert.is(est.hutchinsonDiagonal(indef.op, { samples: 1 }).standardError, undefined);
  });

  s('frobeniusNorm: within 3 SE of ‖A‖_F over 10 seeds (calibrated); ‖A‖_F² unbiased', () => {
    // ‖Azᵢ‖² is a weighted χ² (weights λ²): skewed, so the same calibration as for the trace.
    const z: number[] = [];
    for (const [m, lams] of [[spd, logSpaced(60, 0.1, 10)], [indef, indefSpectrum]] as const) {
      const exact = Math.sqrt(sumOf(lams.map((l) => l * l)));
      for (let seed = 0; seed < 10; seed++) {
        const r = est.frobeniusNorm(m.op, { samples: 100, seed });
        z.push(Math.abs(r.estimate - exact) / r.standardError);
        assert.ok(z[z.length - 1]! <= 4, `seed ${seed}: ${r.estimate} vs ${exact} ± ${r.standardError}`);
        assert.ok(Math.abs(r.squared.estimate - exact ** 2) <= 4 * r.squared.standardError);
      }
    }
    assert.ok(z.filter((x) => x <= 3).length >= 19, `within 3 SE: ${z.filter((x) => x <= 3).length}/20`);
    assert.ok(z.filter((x) => x <= 2).length >= 17, `within 2 SE: ${z.filter((x) => x <= 2).length}/20`);
  });

  s("topEigenvalues 'sketch' (subspace iteration): within 1e-6 on a decaying spectrum, exact residuals", () => {
    // λᵢ = 100·0.8ⁱ, l = k + p = 15, q = 3: the error of λ₅ decays like (λ₁₆/λ₅)^{2(q+1)} ≈ 2e-8
    // (observed 1.5e-8); assert 1e-6 — a few % is what the brief asks, this is far better.
    const lams = Array.from({ length: 300 }, (_, i) => 100 * 0.8 ** i);
    const { op } = withSpectrum(rng, lams);
    const r = est.topEigenvalues(op, 5, { method: 'sketch', seed: 3 });
    assert.is(r.matvecs, 15 * 5);
    for (let i = 0; i < 5; i++) {
      assert.ok(Math.abs(r.values[i]! - lams[i]!) / lams[i]! <= 1e-6, `λ${i}: ${r.values[i]} vs ${lams[i]}`);
      // The residual bounds the eigenvalue error (Weyl): |θ − λ| ≤ r.
      assert.ok(Math.abs(r.values[i]! - lams[i]!) <= r.residuals![i]! * (1 + 1e-6) + 1e-12);
    }
    const res = est.topEigenvalues(op, 5, { method: 'sketch', seed: 3 });
    const check = c.sub(c.matmul(c.toDense(op), res.vectors!), c.mul(res.vectors!, c.tensor(Array.from(res.values), [1, 5], 'float64')));
    const colNorms = Array.from(c.sqrt(c.sum(c.mul(check, check), 0)).dataSync());
    assert.ok(relErr(colNorms, res.residuals!) <= 1e-6, `residuals ${res.residuals} vs ${colNorms}`);
    // Early stopping with tol: fewer iterations, converged.
    const early = est.topEigenvalues(op, 3, { method: 'sketch', seed: 3, tol: 1e-3, powerIterations: 20 });
    assert.ok(early.converged);
    assert.ok(early.matvecs < 13 * 22);
    // Rank-deficient: rank 3 < k + p; the basis is completed with random directions.
    const { op: low } = withSpectrum(rng, [9, 4, 1, ...Array.from({ length: 37 }, () => 0)]);
    const rl = est.topEigenvalues(low, 4, { method: 'sketch', seed: 1 });
    assert.ok(relErr(Array.from(rl.values), [9, 4, 1, 0], 1) <= 1e-12, `low rank ${Array.from(rl.values)}`);
  });

  s("topEigenvalues 'gaussian-sketch' (Swartworth–Woodruff): within 3 error scales; 'lanczos' path agrees with lanczos", () => {
    const lams = [50, 20, 10, ...Array.from({ length: 397 }, (_, i) => 0.2 - 0.001 * i)];
    const { op } = withSpectrum(rng, lams);
    const r = est.topEigenvalues(op, 3, { method: 'gaussian-sketch', sketchSize: 300, seed: 5 });
    assert.is(r.matvecs, 300);
    const fro = Math.sqrt(sumOf(lams.map((l) => l * l)));
    // errorScale estimates ‖A‖_F/√d (≈ 3.2 here) to within its own sampling error.
    assert.ok(Math.abs(r.errorScale! / (fro / Math.sqrt(300)) - 1) < 0.3, `errorScale ${r.errorScale} vs ${fro / Math.sqrt(300)}`);
    for (let i = 0; i < 3; i++) assert.ok(Math.abs(r.values[i]! - lams[i]!) <= 3 * r.errorScale!, `λ${i}: ${r.values[i]} vs ${lams[i]} ± ${r.errorScale}`);
    // The same seed regenerates the same projection: identical results.
    const again = est.topEigenvalues(op, 3, { method: 'gaussian-sketch', sketchSize: 300, seed: 5, blockSize: 7 });
    assert.ok(relErr(Array.from(again.values), Array.from(r.values)) <= 1e-12);
    const lz = est.topEigenvalues(op, 3, { seed: 2 });
    assert.is(lz.method, 'lanczos');
    assert.ok(relErr(Array.from(lz.values), [50, 20, 10]) <= 1e-12);
    assert.ok(lz.converged);
  });

  s('bad input → ShapeError / InputError', () => {
    const { op } = withSpectrum(rng, [1, 2, 3]);
    throwsType(() => est.hutchinsonTrace(op, { samples: 1 }), c.InputError, /samples/);
    throwsType(() => est.hutchinsonTrace(op, { samples: 2.5 }), c.InputError, /samples/);
    throwsType(() => est.hutchinsonTrace(op, { samples: 10, distribution: 'uniform' as never }), c.InputError, /distribution/);
    throwsType(() => est.frobeniusNorm(op, { samples: 1 }), c.InputError, /samples/);
    throwsType(() => est.hutchinsonDiagonal(op, { samples: 0 }), c.InputError, /samples/);
    throwsType(() => est.hutchPlusPlus(op, { matvecs: 2 }), c.InputError, /matvecs/);
    for (const method of ['lanczos', 'sketch', 'gaussian-sketch'] as const) {
      throwsType(() => est.topEigenvalues(op, 4, { method, sketchSize: 3 }), c.ShapeError);
      throwsType(() => est.topEigenvalues(op, 0, { method }), c.ShapeError);
      throwsType(() => est.topEigenvalues({ ...op, symmetric: false }, 1, { method }), c.InputError, /symmetric/);
    }
    throwsType(() => est.topEigenvalues(op, 1, { method: 'power' as never }), c.InputError, /method/);
    throwsType(() => est.topEigenvalues(op, 1, { method: 'sketch', oversampling: -1 }), c.InputError);
    const nan = c.denseOperator(c.tensor([[NaN, 0], [0, 1]], undefined, 'float64'));
    throwsType(() => est.hutchinsonTrace(nan, { samples: 4 }), c.InputError, /NaN/);
  });

  s.run();
}
