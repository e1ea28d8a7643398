import { writeFileSync } from 'node:fs';
import { getBackend, setBackend } from '../backend/registry.js';
import { InputError } from '../errors.js';
import { writeNpy } from '../io/npy.js';
import { readNpy } from '../io/npy.js';
import { toFloat64 } from '../io/array.js';
import type { HessianKind } from '../influence/exact.js';
import type { Dataset } from '../nn/objective.js';
import { fitInfluence, mostInfluential, scoreTraining, selfInfluenceScores, solveTestPoints, topK, validate } from './influence-steps.js';
import { progress } from './progress.js';
import { writeReport } from './report-command.js';
import type { InfluenceSummary } from './summary.js';
import { gaussNewtonOperator, hessianOperator } from '../operators/curvature.js';
import { SOLVERS, type SolverName, type SolverOptions } from '../solvers/registry.js';
import { tensor } from '../tensor/index.js';
import { loadProblem, numberFlag, parse, required, type Flags } from './model-args.js';

function hessianFlag(flags: Flags): 'exact' | 'gauss-newton' {
  const h = flags['hessian'];
  if (h !== 'exact' && h !== 'gauss-newton') throw new InputError(`--hessian: expected exact or gauss-newton for hvp, got '${String(h)}'`);
  return h;
}

export function selectBackend(flags: Flags): string | undefined {
  const b = flags['backend'];
  if (typeof b === 'string') setBackend(b);
  return typeof b === 'string' ? b : undefined;
}

export function writeJson(flags: Flags, summary: unknown): void {
  const path = flags['json'];
  const text = JSON.stringify(summary, null, 2) + '\n';
  if (typeof path === 'string') writeFileSync(path, text);
  else process.stdout.write(text);
}

/** The solver flags (issue 4's menu) as SolverOptions; absent flags keep each solver's default. */
function solverOptionsFrom(flags: Flags): SolverOptions {
  const opt = (name: string, key: keyof SolverOptions, o: { integer?: boolean; min?: number } = {}): Partial<SolverOptions> =>
    flags[name] !== undefined ? { [key]: numberFlag(flags, name, o) } : {};
  const pre = flags['preconditioner'];
  if (pre !== undefined && pre !== 'jacobi' && pre !== 'nystrom') throw new InputError(`--preconditioner: expected jacobi or nystrom, got '${String(pre)}'`);
  return {
    rtol: numberFlag(flags, 'rtol', { min: 0 }), atol: numberFlag(flags, 'atol', { min: 0 }),
    ...opt('max-iter', 'maxIter', { integer: true, min: 0 }), ...opt('rank', 'rank', { integer: true, min: 1 }), ...opt('power-iterations', 'powerIterations', { integer: true, min: 0 }),
    ...opt('scale', 'scale', { min: 0 }), ...opt('depth', 'depth', { integer: true, min: 1 }),
    ...opt('repeats', 'repeats', { integer: true, min: 1 }), ...opt('lissa-batch-size', 'batchSize', { integer: true, min: 1 }),
    ...opt('seed', 'seed', { integer: true, min: 0 }),
    ...(pre ? { preconditioner: pre } : {}), ...(flags['auto'] ? { auto: true } : {}),
    ...(flags['block-diagonal'] ? { blockDiagonal: true } : {}),
  };
}

/** The curvature kind from --hessian. */
function hessianKind(flags: Flags): HessianKind {
  const h = flags['hessian'];
  if (h !== 'exact' && h !== 'gauss-newton' && h !== 'empirical-fisher') {
    throw new InputError(`--hessian: expected exact, gauss-newton or empirical-fisher, got '${String(h)}'`);
  }
  return h;
}

export const INFLUENCE_FLAGS = {
  'test-x': { type: 'string' }, 'test-y': { type: 'string' },
  solver: { type: 'string', default: 'direct' }, out: { type: 'string' },
  rtol: { type: 'string', default: '1e-8' }, atol: { type: 'string', default: '0' }, 'max-iter': { type: 'string' },
  preconditioner: { type: 'string' }, rank: { type: 'string' }, 'power-iterations': { type: 'string' }, scale: { type: 'string' }, depth: { type: 'string' },
  repeats: { type: 'string' }, 'lissa-batch-size': { type: 'string' }, auto: { type: 'boolean' }, seed: { type: 'string' },
  'block-diagonal': { type: 'boolean' },
  top: { type: 'string', default: '10' }, self: { type: 'boolean' }, 'self-out': { type: 'string' },
  validate: { type: 'string' }, 'validate-top': { type: 'string', default: '10' },
  chunk: { type: 'string', default: '1024' }, report: { type: 'string' },
} as const;

/**
 * `curvature influence`: the test×train matrix of I_up,loss (Koh & Liang 2017) as float64 .npy, the
 * top-k helpful/harmful training points per test point, self-influence, validation against
 * retraining, and a JSON summary (and optionally the HTML report).
 */
export function influenceCommand(argv: string[]): InfluenceSummary {
  const flags = parse(argv, INFLUENCE_FLAGS);
  const summary = runInfluence(flags);
  writeJson(flags, summary);
  if (typeof flags['report'] === 'string') writeReport(String(flags['report']), summary);
  if (!summary.converged) process.exitCode = 3;
  return summary;
}

/** The influence pipeline behind `influence` and `report`, step by step (src/cli/influence-steps.ts). */
export function runInfluence(flags: Flags): InfluenceSummary {
  const backend = selectBackend(flags);
  const solver = String(flags['solver']);
  if (!(solver in SOLVERS)) throw new InputError(`--solver: expected one of ${Object.keys(SOLVERS).join(', ')}, got '${solver}'`);
  const hessian = hessianKind(flags);
  const k = numberFlag(flags, 'top', { integer: true, min: 1 });
  const chunk = numberFlag(flags, 'chunk', { integer: true, min: 1 });
  const validateKind = flags['validate'];
  if (validateKind !== undefined && validateKind !== 'loo' && validateKind !== 'pbrf') throw new InputError(`--validate: expected loo or pbrf, got '${String(validateKind)}'`);
  const validateTop = numberFlag(flags, 'validate-top', { integer: true, min: 1 });
  const wantSelf = Boolean(flags['self']) || flags['self-out'] !== undefined;
  const hasTest = flags['data'] !== undefined || flags['test-x'] !== undefined || flags['test-y'] !== undefined;
  if (!hasTest && !wantSelf) throw new InputError('nothing to compute: give test data (--data or --test-x/--test-y) and/or --self');
  if (validateKind && !hasTest) throw new InputError('--validate needs test data (--data or --test-x/--test-y)');
  const quiet = Boolean(flags['quiet']);
  const damping = numberFlag(flags, 'damping', { min: 0 });
  const solverOptions = solverOptionsFrom(flags);

  const t0 = performance.now();
  const problem = loadProblem(flags, hasTest);
  const test = problem.test;
  const nTrain = problem.train.x.shape[0]!;
  const tLoad = performance.now();
  const infl = fitInfluence(problem.objective, problem.theta, problem.train, {
    hessian, solver: solver as SolverName, damping,
    batchSize: numberFlag(flags, 'batch-size', { integer: true, min: 1 }), solverOptions,
  });
  try {
    const tFit = performance.now();
    const summary: InfluenceSummary = {
      command: 'influence', backend: backend ?? getBackend().name,
      model: { path: String(flags['model']), arch: String(flags['arch']), activation: String(flags['activation']), description: `MLP ${String(flags['arch'])}`, loss: problem.lossName,
        weightDecay: problem.objective.weightDecay, parameters: problem.model.numParams },
      data: problem.source, hessian, solver, dtype: problem.dtype, damping, solverOptions: jsonSafe(solverOptions),
      shapes: { parameters: problem.model.numParams, train: nTrain, test: test ? test.x.shape[0]! : 0, scores: test ? [test.x.shape[0]!, nTrain] : null },
      converged: true,
      labels: { train: labelsOf(problem.train), test: test ? labelsOf(test) : null },
      testPoints: null, solve: null, top: null, self: null, validation: null,
      timings: { loadSeconds: (tLoad - t0) / 1000, fitSeconds: (tFit - tLoad) / 1000 },
      out: typeof flags['out'] === 'string' ? String(flags['out']) : null,
    };
    if (test) {
      const nTest = test.x.shape[0]!;
      const t1 = performance.now();
      const { s, summary: solve } = solveTestPoints(infl, test, progress('solving test points', nTest, { quiet }));
      const t2 = performance.now();
      let scores: Float64Array;
      try {
        scores = scoreTraining(infl, s, problem.train, chunk, progress('scoring training points', nTrain, { quiet }));
      } finally {
        s.dispose();
      }
      const t3 = performance.now();
      summary.solve = solve;
      summary.converged &&= solve.converged;
      summary.top = topK(scores, nTest, nTrain, k).map((t, i) => ({
        test: i,
        helpful: t.helpful.map((r) => ({ ...r, predictedDelta: -r.score / nTrain })),
        harmful: t.harmful.map((r) => ({ ...r, predictedDelta: -r.score / nTrain })),
      }));
      summary.timings.solveSeconds = (t2 - t1) / 1000;
      summary.timings.scoreSeconds = (t3 - t2) / 1000;
      if (summary.out) writeNpy(summary.out, { data: scores, shape: [nTest, nTrain], dtype: 'float64' });
      if (validateKind) {
        const removed = new Set(mostInfluential(scores, nTest, nTrain, validateTop).flat()).size;
        summary.validation = validate(validateKind, infl, test, scores, validateTop, {
          exactDirect: hessian === 'exact' && solver === 'direct' && damping === 0 && !solverOptions.blockDiagonal,
          damping, bar: progress(`retraining (${validateKind})`, removed, { quiet }),
        });
        summary.timings.validateSeconds = summary.validation.seconds;
      }
    }
    if (wantSelf) {
      const t4 = performance.now();
      const self = selfInfluenceScores(infl, problem.train, chunk, progress('self-influence', nTrain, { quiet }));
      const order = Array.from(self.scores.keys()).sort((a, b) => self.scores[b]! - self.scores[a]!).slice(0, Math.min(k, nTrain));
      summary.self = {
        top: order.map((j) => ({ index: j, score: self.scores[j]! })),
        solves: self.summary.solves, converged: self.summary.converged,
        out: typeof flags['self-out'] === 'string' ? String(flags['self-out']) : null,
      };
      summary.converged &&= self.summary.converged;
      if (summary.self.out) writeNpy(summary.self.out, { data: self.scores, shape: [nTrain], dtype: 'float64' });
      summary.timings.selfSeconds = (performance.now() - t4) / 1000;
    }
    return summary;
  } finally {
    infl.dispose();
  }
}

function labelsOf(data: Dataset): number[] | null {
  return data.y.dtype === 'int32' ? Array.from(data.y.dataSync()) : null;
}

function jsonSafe(o: SolverOptions): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v !== 'function' && typeof v !== 'object'));
}

/** `curvature hvp`: H·v (or G·v) of the training objective for a vector from .npy. */
export function hvpCommand(argv: string[]): void {
  const flags = parse(argv, { vector: { type: 'string' }, out: { type: 'string' } });
  const backend = selectBackend(flags);
  const t0 = performance.now();
  const problem = loadProblem(flags);
  const vPath = required(flags, 'vector');
  const raw = toFloat64(readNpy(vPath));
  if (raw.data.length !== problem.model.numParams) {
    throw new InputError(`${vPath}: vector has ${raw.data.length} entries, the model has ${problem.model.numParams} parameters`);
  }
  for (let i = 0; i < raw.data.length; i++) if (!Number.isFinite(raw.data[i]!)) throw new InputError(`${vPath}: non-finite value at element ${i}`);
  const options = { batchSize: numberFlag(flags, 'batch-size', { integer: true, min: 1 }), damping: numberFlag(flags, 'damping', { min: 0 }) };
  const op = hessianFlag(flags) === 'exact'
    ? hessianOperator(problem.objective, problem.theta, problem.train, options)
    : gaussNewtonOperator(problem.objective, problem.theta, problem.train, options);
  const t1 = performance.now();
  const hv = op.matvec(tensor(raw.data, [raw.data.length], problem.dtype));
  const t2 = performance.now();
  const out = required(flags, 'out');
  writeNpy(out, { data: Float64Array.from(hv.dataSync()), shape: [hv.size], dtype: 'float64' });
  writeJson(flags, {
    command: 'hvp', backend: backend ?? 'default', hessian: flags['hessian'], dtype: problem.dtype,
    parameters: problem.model.numParams, train: problem.train.x.shape[0], out,
    timings: { loadSeconds: (t1 - t0) / 1000, hvpSeconds: (t2 - t1) / 1000 },
  });
}
