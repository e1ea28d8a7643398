import { writeFileSync } from 'node:fs';
import { setBackend } from '../backend/registry.js';
import { InputError } from '../errors.js';
import { writeNpy } from '../io/npy.js';
import { readNpy } from '../io/npy.js';
import { toFloat64 } from '../io/array.js';
import { InfluenceModel, type HessianKind } from '../influence/exact.js';
import { gaussNewtonOperator, hessianOperator } from '../operators/curvature.js';
import { SOLVERS, type SolverName, type SolverOptions } from '../solvers/registry.js';
import { tensor } from '../tensor/index.js';
import { dataset, loadProblem, numberFlag, parse, required, type Flags } from './model-args.js';

function hessianFlag(flags: Flags): HessianKind {
  const h = flags['hessian'];
  if (h !== 'exact' && h !== 'gauss-newton') throw new InputError(`--hessian: expected exact or gauss-newton, got '${String(h)}'`);
  return h;
}

function selectBackend(flags: Flags): string | undefined {
  const b = flags['backend'];
  if (typeof b === 'string') setBackend(b);
  return typeof b === 'string' ? b : undefined;
}

function writeJson(flags: Flags, summary: unknown): void {
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
    ...opt('max-iter', 'maxIter', { integer: true, min: 0 }), ...opt('rank', 'rank', { integer: true, min: 1 }),
    ...opt('scale', 'scale', { min: 0 }), ...opt('depth', 'depth', { integer: true, min: 1 }),
    ...opt('repeats', 'repeats', { integer: true, min: 1 }), ...opt('lissa-batch-size', 'batchSize', { integer: true, min: 1 }),
    ...opt('seed', 'seed', { integer: true, min: 0 }),
    ...(pre ? { preconditioner: pre } : {}), ...(flags['auto'] ? { auto: true } : {}),
    ...(flags['block-diagonal'] ? { blockDiagonal: true } : {}),
  };
}

/** `curvature influence`: the test×train matrix of I_up,loss as float64 .npy plus a JSON summary. */
export function influenceCommand(argv: string[]): void {
  const flags = parse(argv, {
    'test-x': { type: 'string' }, 'test-y': { type: 'string' },
    solver: { type: 'string', default: 'direct' }, out: { type: 'string' },
    rtol: { type: 'string', default: '1e-8' }, atol: { type: 'string', default: '0' }, 'max-iter': { type: 'string' },
    preconditioner: { type: 'string' }, rank: { type: 'string' }, scale: { type: 'string' }, depth: { type: 'string' },
    repeats: { type: 'string' }, 'lissa-batch-size': { type: 'string' }, auto: { type: 'boolean' }, seed: { type: 'string' },
    'block-diagonal': { type: 'boolean' },
  });
  const backend = selectBackend(flags);
  const solver = String(flags['solver']);
  if (!(solver in SOLVERS)) throw new InputError(`--solver: expected one of ${Object.keys(SOLVERS).join(', ')}, got '${solver}'`);
  const t0 = performance.now();
  const problem = loadProblem(flags);
  const test = dataset(flags, 'test', String(flags['loss']), problem.dtype);
  problem.objective.validate(test, 'test data');
  const tLoad = performance.now();
  const infl = InfluenceModel.fit(problem.objective, problem.theta, problem.train, {
    hessian: hessianFlag(flags),
    solver: solver as SolverName,
    damping: numberFlag(flags, 'damping', { min: 0 }),
    batchSize: numberFlag(flags, 'batch-size', { integer: true, min: 1 }),
    solverOptions: solverOptionsFrom(flags),
  });
  const tFit = performance.now();
  const { scores, stats } = infl.influence(test);
  const tScore = performance.now();
  const values = Float64Array.from(scores.dataSync());
  const out = flags['out'];
  if (typeof out === 'string') writeNpy(out, { data: values, shape: [...scores.shape], dtype: 'float64' });
  writeJson(flags, {
    command: 'influence',
    backend: backend ?? 'default',
    hessian: flags['hessian'], solver, dtype: problem.dtype,
    damping: Number(flags['damping']), weightDecay: problem.objective.weightDecay,
    shapes: { scores: scores.shape, parameters: problem.model.numParams, train: problem.train.x.shape[0], test: test.x.shape[0] },
    solves: stats.solves, iterations: stats.iterations, residualNorms: stats.residualNorms, converged: stats.converged, solverInfo: stats.info,
    timings: { loadSeconds: (tLoad - t0) / 1000, fitSeconds: (tFit - tLoad) / 1000, scoreSeconds: (tScore - tFit) / 1000 },
    out: typeof out === 'string' ? out : null,
  });
  infl.dispose();
  if (!stats.converged) process.exitCode = 3;
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
