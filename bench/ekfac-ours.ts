import * as c from '../src/index.js';
import type { EkfacProblem } from './ekfac-problem.js';

/**
 * Ours on the W-EKFAC problem, through the public API only:
 *   - the fit: KroneckerCurvature.fit(objective, θ, train, { corrected: true }) — its onStage hook
 *     reports the wall time of each stage (covariances, eigendecompositions, corrections);
 *   - scoring: InfluenceModel.fit(…, { hessian: 'gauss-newton', solver: 'ekfac', damping }) (timed
 *     too: it fits the same stages again), then influence(test, train) — the timed scoring stage.
 * With a `probe` (a short GEMM-rate sample, GFLOP/s), every stage is bracketed by samples taken
 * right before and right after it, outside its timing (the fit's stages from its onStage hook):
 * on a shared machine whose speed drifts within seconds, a floor is only as good as the rate
 * measured next to the stage it prices.
 */
export const STAGES = ['covariances', 'eigendecompositions', 'corrections', 'scoring'] as const;
export type Stage = (typeof STAGES)[number];

export interface OursRun {
  ms: Record<Stage, number>;
  /** With a probe: the GEMM rate (GFLOP/s) sampled right before and right after each stage. */
  rates?: Record<Stage, { before: number; after: number }>;
  /** Wall time of InfluenceModel.fit (the whole EK-FAC fit again, inside the influence model). */
  influenceFitMs: number;
  /** Per layer: A, G, eigenvalues and Λ as host arrays, for the check against the peer. */
  layers: { A: Float64Array; G: Float64Array; lambdaA: Float64Array; lambdaG: Float64Array; corrections: Float64Array }[];
  /** [test, train] row-major influence scores. */
  scores: Float64Array;
}

const host = (t: c.Tensor): Float64Array => Float64Array.from(t.dataSync());

export function runOurs(p: EkfacProblem, train: c.Dataset, test: c.Dataset, batchSize: number, damping: number,
  probe?: () => number): OursRun {
  const ms: Partial<Record<Stage, number>> = {};
  const rates: Partial<Record<Stage, { before: number; after: number }>> = {};
  // The fit's stages run back to back: each one's "before" is the previous one's "after".
  let last = probe?.() ?? NaN;
  const curvature = c.KroneckerCurvature.fit(p.objective, p.theta, train, {
    corrected: true, batchSize,
    onStage: (s, t) => {
      ms[s] = t;
      if (!probe) return;
      const after = probe();
      rates[s] = { before: last, after };
      last = after;
    },
  });
  let layers: OursRun['layers'];
  try {
    layers = curvature.layers.map((l) => ({
      A: host(l.A), G: host(l.G), lambdaA: host(l.lambdaA), lambdaG: host(l.lambdaG), corrections: l.corrections ? host(l.corrections) : new Float64Array(0),
    }));
  } finally {
    curvature.dispose();
  }
  const t0 = performance.now();
  const model = c.InfluenceModel.fit(p.objective, p.theta, train, {
    hessian: 'gauss-newton', solver: 'ekfac' as c.SolverName, damping, batchSize,
    solverOptions: { damping: 0 },
  });
  const influenceFitMs = performance.now() - t0;
  let s: Float64Array;
  try {
    const before = probe?.() ?? NaN;
    const t1 = performance.now();
    const { scores } = model.influence(test, train);
    ms.scoring = performance.now() - t1;
    if (probe) rates.scoring = { before, after: probe() };
    s = host(scores);
    scores.dispose();
  } finally {
    model.dispose();
  }
  for (const stage of STAGES) if (ms[stage] === undefined) throw new Error(`KroneckerCurvature.fit reported no '${stage}' stage time`);
  return { ms: ms as Record<Stage, number>, ...(probe ? { rates: rates as Record<Stage, { before: number; after: number }> } : {}), influenceFitMs, layers, scores: s };
}
