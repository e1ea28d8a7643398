/**
 * `curvature influence`: the test×train matrix of I_up,loss (Koh & Liang 2017) as float64 .npy, the
 * top-k helpful/harmful training points per test point, self-influence, validation against
 * retraining, a human summary on stdout, the JSON summary and the HTML report.
 */
import { getBackend } from '../backend/registry.js';
import { InputError } from '../errors.js';
import { hutchinsonTrace } from '../estimators/hutchinson.js';
import { InfluenceModel, type HessianKind } from '../influence/exact.js';
import { checkFitTarget, readFitManifest, stageFit, type FitManifest, type StagedFit } from '../influence/fit-store.js';
import { encodeNpy } from '../io/npy.js';
import type { Dataset, Objective } from '../nn/objective.js';
import { tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { choiceFlag, numberFlag, type Flags } from './flags.js';
import { printInfluenceSummary } from './human-summary.js';
import { fitInfluence, mostInfluential, scoreTraining, selfInfluenceScores, solveTestPoints, topK, validate, type SolveSummary } from './influence-steps.js';
import { loadProblem } from './model-args.js';
import { OutputSet } from './outputs.js';
import { progress } from './progress.js';
import { renderReport } from './report-command.js';
import { selectBackend } from './select-backend.js';
import { APPROXIMATE_SOLVERS, solverFlag, solverOptionsFrom } from './solver-flags.js';
import type { InfluenceSummary, TestPointSummary } from './summary.js';
import { warn, warnIfIndefinite, warnIfNotAtMinimum } from './warnings.js';

/** Probes of the Hutchinson trace estimate behind a low-rank method's captured-trace fraction. */
const TRACE_PROBES = 16;

/** Runs the command: validates flags and output paths, computes, writes every output or none. Returns the exit code. */
export function influenceCommand(flags: Flags): number {
  const outputs = new OutputSet({ out: flags['out'] as string | undefined, json: flags['json'] as string | undefined, report: flags['report'] as string | undefined, 'self-out': flags['self-out'] as string | undefined });
  if (flags['save-fit'] !== undefined) checkFitTarget(String(flags['save-fit']));
  const { summary, scores, selfScores, fit } = runInfluence(flags);
  // The fit, staged in a temporary directory, is renamed into place with the other outputs: a failed run leaves none of them.
  try {
    const shapes = summary.shapes;
    if (scores) outputs.stage('out', encodeNpy({ data: scores, shape: shapes.scores!, dtype: 'float64' }));
    if (selfScores) outputs.stage('self-out', encodeNpy({ data: selfScores, shape: [shapes.train], dtype: 'float64' }));
    outputs.stage('json', JSON.stringify(summary, null, 2) + '\n');
    if (typeof flags['report'] === 'string') outputs.stage('report', renderReport(summary));
    fit?.commit();
  } catch (err) {
    outputs.abort();
    fit?.abort();
    throw err;
  }
  outputs.commit();
  const json = JSON.stringify(summary, null, 2) + '\n';
  if (flags['json'] === '-') process.stdout.write(json);
  else printInfluenceSummary(summary, (s) => process.stdout.write(s), 3, Object.fromEntries(outputs.entries()));
  if (summary.converged === false) {
    reportNotConverged(summary);
    return 3;
  }
  return 0;
}

/** Exit 3's diagnosis on stderr: which solves stopped short, with their residuals. */
function reportNotConverged(summary: InfluenceSummary): void {
  const lines: string[] = [];
  const describe = (what: string, s: { notConverged: SolveSummary['notConverged'] } | null): void => {
    for (const f of s?.notConverged.slice(0, 5) ?? []) {
      const rel = f.rhsNorm > 0 ? f.residualNorm / f.rhsNorm : NaN;
      lines.push(`  ${what} ${f.solve < 0 ? '(all right-hand sides, block CG)' : f.solve}: ‖r‖ = ${f.residualNorm.toExponential(3)}, ‖r‖/‖b‖ = ${rel.toExponential(3)} after ${f.iterations} iterations`);
    }
    const more = (s?.notConverged.length ?? 0) - 5;
    if (more > 0) lines.push(`  … and ${more} more`);
  };
  describe('test-point solve', summary.solve);
  describe('self-influence solve, chunk from training row', summary.self ? { notConverged: summary.self.notConverged } : null);
  const tol = summary.solverOptions['rtol'];
  process.stderr.write(`curvature: not converged: the ${summary.solver} solves below stopped before their tolerance (rtol ${String(tol)}); any outputs requested were written, but their scores are approximate. Raise --max-iter, add --damping, or use --preconditioner.\n${lines.join('\n')}\n`);
}

/** The curvature kind from --hessian. */
function hessianKind(flags: Flags): HessianKind {
  return choiceFlag(flags, 'hessian', ['exact', 'gauss-newton', 'empirical-fisher'] as const, 'exact');
}

/** The model's prediction and loss on each test point. */
export function testPointSummaries(objective: Objective, theta: Tensor, test: Dataset): TestPointSummary[] {
  return tidy(() => {
    const z = objective.model.apply(theta, test.x);
    const losses = objective.loss.perSample(z, test.y).dataSync();
    const out = z.dataSync(), y = test.y.dataSync();
    const n = test.x.shape[0]!, k = objective.model.outFeatures;
    const loss = objective.loss.name;
    return Array.from({ length: n }, (_, i): TestPointSummary => {
      const row = Array.from(out.subarray(i * k, (i + 1) * k));
      if (loss === 'cross-entropy') {
        const max = Math.max(...row), exp = row.map((v) => Math.exp(v - max)), total = exp.reduce((a, b) => a + b, 0);
        const predicted = row.indexOf(max);
        return { index: i, label: y[i]!, predicted, probability: exp[predicted]! / total, loss: losses[i]! };
      }
      if (loss === 'bce-with-logits' && k === 1) {
        const p = 1 / (1 + Math.exp(-row[0]!));
        return { index: i, label: y[i]!, predicted: p > 0.5 ? 1 : 0, probability: p > 0.5 ? p : 1 - p, loss: losses[i]! };
      }
      return { index: i, label: null, predicted: row[0]!, probability: null, loss: losses[i]! };
    });
  });
}

export interface InfluenceRun { summary: InfluenceSummary; scores: Float64Array | null; selfScores: Float64Array | null; fit?: StagedFit }

/**
 * With --load-fit: the solver, hessian and damping flags absent are taken from the manifest (so the
 * flag checks see the saved solver); those given are checked against it by InfluenceModel.load.
 */
function withFitFlags(flags: Flags): { flags: Flags; manifest: FitManifest | null } {
  if (flags['load-fit'] === undefined) return { flags, manifest: null };
  if (flags['save-fit'] !== undefined) throw new InputError('--load-fit and --save-fit: give one (the loaded fit is already saved)');
  const manifest = readFitManifest(String(flags['load-fit']));
  const out: Flags = { ...flags };
  if (out['solver'] === undefined) out['solver'] = manifest.solver;
  if (out['hessian'] === undefined) out['hessian'] = manifest.hessian;
  return { flags: out, manifest };
}

/** The influence pipeline (src/cli/influence-steps.ts): nothing is written here. */
export function runInfluence(given: Flags): InfluenceRun {
  const { flags, manifest } = withFitFlags(given);
  const backend = selectBackend(flags);
  const solver = solverFlag(flags);
  const hessian = hessianKind(flags);
  const k = numberFlag(flags, 'top', { integer: true, min: 1, default: 10 });
  const chunk = numberFlag(flags, 'chunk', { integer: true, min: 1, default: 1024 });
  const validateKind = flags['validate'] !== undefined ? choiceFlag(flags, 'validate', ['loo', 'pbrf'] as const) : undefined;
  const validateTop = numberFlag(flags, 'validate-top', { integer: true, min: 1, default: 10 });
  if (flags['validate-top'] !== undefined && !validateKind) throw new InputError('--validate-top needs --validate loo or --validate pbrf');
  const wantSelf = Boolean(flags['self']) || flags['self-out'] !== undefined;
  const hasTest = flags['data'] !== undefined || flags['test-x'] !== undefined || flags['test-y'] !== undefined;
  if (!hasTest && !wantSelf) throw new InputError('nothing to compute: give test data (--data or --test-x/--test-y) and/or --self');
  if (validateKind && !hasTest) throw new InputError('--validate needs test data (--data or --test-x/--test-y)');
  if (flags['out'] !== undefined && !hasTest) throw new InputError('--out writes the test×train score matrix: it needs test data (--data or --test-x/--test-y); for self-influence use --self-out');
  const quiet = Boolean(flags['quiet']);
  const damping = manifest && flags['damping'] === undefined ? manifest.damping : numberFlag(flags, 'damping', { min: 0, default: 0 });
  const batchSize = numberFlag(flags, 'batch-size', { integer: true, min: 1, default: manifest?.batchSize ?? 4096 });
  const queryRank = flags['query-rank'] !== undefined ? { queryRank: numberFlag(flags, 'query-rank', { integer: true, min: 1 }) } : {};

  const t0 = performance.now();
  const problem = loadProblem(flags, hasTest);
  const { test, objective, theta, info } = problem;
  const nTrain = problem.train.x.shape[0]!, parameters = problem.model.numParams;
  let solverOptions = solverOptionsFrom(flags, parameters);
  const { grad } = objective.fullValueAndGrad(theta, problem.train);
  const gradNorm = Math.sqrt(grad.reduce((a, g) => a + g * g, 0));
  warnIfNotAtMinimum(gradNorm, hessian, damping);
  const tLoad = performance.now();

  const fitTotal = solver === 'direct' ? parameters : solver === 'nystrom' ? (solverOptions.rank ?? Math.min(10, parameters)) * (1 + (solverOptions.powerIterations ?? 0)) : undefined;
  let bar = progress(manifest ? `loading the ${solver} fit from ${String(flags['load-fit'])}` : `fitting ${solver} (${hessian} curvature, ${parameters} parameters)`,
    manifest ? undefined : fitTotal, { quiet, unit: 'curvature products' });
  let infl: InfluenceModel;
  if (manifest) {
    // Only the solver options whose flags were given are checked against the fit; the rest come from it.
    const givenOptions = Object.fromEntries(Object.entries(solverOptions).filter(([k]) => (k !== 'rtol' || flags['rtol'] !== undefined) && (k !== 'atol' || flags['atol'] !== undefined)));
    infl = InfluenceModel.load(String(flags['load-fit']), objective, theta, problem.train, {
      ...(given['solver'] !== undefined ? { solver } : {}), ...(given['hessian'] !== undefined ? { hessian } : {}),
      ...(given['damping'] !== undefined ? { damping } : {}), batchSize, solverOptions: givenOptions, onProduct: () => bar.tick(), ...queryRank,
    });
    solverOptions = infl.options.solverOptions ?? {};
  } else {
    infl = fitInfluence(objective, theta, problem.train, { hessian, solver, damping, batchSize, solverOptions, onProduct: () => bar.tick(), ...queryRank });
  }
  bar.done();
  let fit: StagedFit | undefined;
  try {
    if (flags['save-fit'] !== undefined) fit = stageFit(infl, String(flags['save-fit']));
    const tFit = performance.now();
    const exact = !APPROXIMATE_SOLVERS.includes(solver);
    const summary: InfluenceSummary = {
      command: 'influence', backend: backend ?? getBackend().name,
      model: {
        path: String(flags['model']), arch: info.arch, activation: info.activation, description: info.description,
        loss: info.loss, weightDecay: info.weightDecay, parameters, gradNorm,
      },
      data: problem.source, hessian, solver, dtype: problem.dtype, damping, solverOptions: jsonSafe(solverOptions),
      shapes: { parameters, train: nTrain, test: test ? test.x.shape[0]! : 0, scores: test ? [test.x.shape[0]!, nTrain] : null },
      exact, converged: exact ? true : null, approximation: null,
      labels: { train: null, test: test && test.y.dtype === 'int32' ? Array.from(test.y.dataSync()) : null },
      testPoints: test ? testPointSummaries(objective, theta, test) : null,
      solve: null, top: null, self: null, validation: null,
      timings: { loadSeconds: (tLoad - t0) / 1000, fitSeconds: (tFit - tLoad) / 1000 },
      out: typeof flags['out'] === 'string' ? String(flags['out']) : null,
    };
    let scores: Float64Array | null = null, selfScores: Float64Array | null = null;
    bar = { tick() {}, done() {} };
    if (test) {
      const nTest = test.x.shape[0]!;
      const t1 = performance.now();
      const { s, summary: solve } = solveTestPoints(infl, test, progress(`solving ${nTest} test points (${solver})`, nTest, { quiet }));
      const t2 = performance.now();
      try {
        scores = scoreTraining(infl, s, problem.train, chunk, progress('scoring training points', nTrain, { quiet }), undefined, (q) => { summary.queryRank = q; });
      } finally {
        s.dispose();
      }
      const t3 = performance.now();
      summary.solve = solve;
      warnIfIndefinite(solve.info[0]);
      if (exact) summary.converged = summary.converged !== false && solve.converged;
      const sc = scores;
      const rows = problem.source.testIndex;
      summary.top = topK(sc, nTest, nTrain, k).map((t, i) => ({
        test: i, ...(rows ? { row: rows[i]! } : {}),
        helpful: t.helpful.map((r) => ({ ...r, predictedDelta: -r.score / nTrain })),
        harmful: t.harmful.map((r) => ({ ...r, predictedDelta: -r.score / nTrain })),
      }));
      summary.timings.solveSeconds = (t2 - t1) / 1000;
      summary.timings.scoreSeconds = (t3 - t2) / 1000;
      if (validateKind) {
        const removed = new Set(mostInfluential(sc, nTest, nTrain, validateTop).flat()).size;
        summary.validation = validate(validateKind, infl, test, sc, validateTop, {
          exactDirect: hessian === 'exact' && solver === 'direct' && damping === 0 && !solverOptions.blockDiagonal,
          damping, bar: progress(`retraining without ${removed} training points (${validateKind})`, removed, { quiet }),
        });
        summary.timings.validateSeconds = summary.validation.seconds;
        const short = summary.validation.shortOfTolerance;
        if (short.length > 0) {
          warn(`${short.length} of ${summary.validation.retrained} ${validateKind} retrainings stopped short of their tolerance (largest ‖∇J₋ⱼ‖ = ${Math.max(...short.map((x) => x.gradNorm)).toExponential(2)}, training points ${short.slice(0, 10).map((x) => x.train).join(', ')}${short.length > 10 ? ', …' : ''}): their "actual" changes are approximate`);
        }
      }
    }
    if (wantSelf) {
      const t4 = performance.now();
      const self = selfInfluenceScores(infl, problem.train, chunk, progress('self-influence', nTrain, { quiet }));
      selfScores = self.scores;
      const order = Array.from(self.scores.keys()).sort((a, b) => self.scores[b]! - self.scores[a]!).slice(0, Math.min(k, nTrain));
      summary.self = {
        top: order.map((j) => ({ index: j, score: self.scores[j]! })),
        solves: self.summary.solves, converged: exact ? self.summary.converged : null, notConverged: self.summary.notConverged,
        out: typeof flags['self-out'] === 'string' ? String(flags['self-out']) : null,
      };
      if (!test) warnIfIndefinite(self.summary.info[0]);
      if (exact) summary.converged = summary.converged !== false && self.summary.converged;
      summary.timings.selfSeconds = (performance.now() - t4) / 1000;
    }
    if (!exact) {
      summary.approximation = approximationOf(solver, summary.solve ?? null, infl.operator, objective.weightDecay + damping, parameters, quiet);
      if (summary.solve) summary.solve.converged = null as unknown as boolean;
    }
    summary.labels.train = trainLabelsOf(problem.train, summary);
    return { summary, scores, selfScores, ...(fit ? { fit } : {}) };
  } catch (err) {
    fit?.abort();
    throw err;
  } finally {
    infl.dispose();
  }
}

/**
 * What an approximate method kept: the rank, and for the low-rank methods the fraction of the
 * curvature's trace (without the weight-decay and damping shift) captured by the kept eigenvalues,
 * against a Hutchinson trace estimate (TRACE_PROBES probes, Hutchinson 1989).
 */
function approximationOf(solver: string, solve: SolveSummary | null, operator: import('../operators/linear-operator.js').LinearOperator,
  shift: number, parameters: number, quiet: boolean): Record<string, unknown> {
  const info = solve?.info[0] ?? {};
  const out: Record<string, unknown> = { method: solver };
  if (info['rank'] !== undefined) out['rank'] = info['rank'];
  if (typeof info['capturedEigenvalueSum'] === 'number') {
    const bar = progress(`estimating the trace for the captured fraction (${TRACE_PROBES} probes)`, TRACE_PROBES, { quiet });
    const t = hutchinsonTrace(operator, { samples: TRACE_PROBES, seed: 1 });
    bar.done();
    const baseTrace = t.estimate - shift * parameters;
    out['capturedEigenvalueSum'] = info['capturedEigenvalueSum'];
    out['traceEstimate'] = { value: baseTrace, standardError: t.standardError, probes: TRACE_PROBES };
    out['capturedTraceFraction'] = baseTrace > 0 ? Math.min(1, (info['capturedEigenvalueSum'] as number) / baseTrace) : null;
  }
  if (solver === 'diagonal') out['note'] = 'diagonal of the curvature only: off-diagonal coupling is ignored';
  if (solver === 'kfac' || solver === 'ekfac') {
    out['note'] = solver === 'kfac'
      ? 'Kronecker-factored curvature A ⊗ G per Linear layer, block-diagonal by layer (Martens & Grosse 2015)'
      : 'Kronecker eigenbasis with eigenvalues fitted to the gradients (George et al. 2018), block-diagonal by layer';
    for (const key of ['form', 'fisherSamples', 'layers', 'damping', 'stageMs', 'fallback']) if (info[key] !== undefined) out[key] = info[key];
  }
  if (solver === 'datainf') { out['note'] = 'inverse of the mean of rank-one terms, swapped with the mean (Kwon et al. 2023)'; if (info['blocks'] !== undefined) out['blocks'] = info['blocks']; }
  return out;
}

/** Labels of the training points the summary names (top lists, self-influence, validation) — not all N. */
function trainLabelsOf(train: Dataset, summary: InfluenceSummary): Record<string, number> | null {
  if (train.y.dtype !== 'int32') return null;
  const y = train.y.dataSync();
  const named = new Set<number>();
  for (const t of summary.top ?? []) for (const r of [...t.helpful, ...t.harmful]) named.add(r.index);
  for (const r of summary.self?.top ?? []) named.add(r.index);
  for (const p of summary.validation?.pairs ?? []) named.add(p.train);
  return Object.fromEntries([...named].sort((a, b) => a - b).map((j) => [String(j), y[j]!]));
}

function jsonSafe(o: object): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v !== 'function' && typeof v !== 'object'));
}
