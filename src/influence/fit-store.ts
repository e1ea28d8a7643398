/**
 * Fit once, score many, across processes (Kronfluence style: fitting the curvature is a separate,
 * cacheable step from computing scores). A saved fit is a directory:
 *
 *   manifest.json       format + version, the pins (SHA-256 of θ's float64 bytes, P, dtype, the
 *                       architecture, loss, weight decay, training-set size N, hessian kind,
 *                       damping, solver name and options, batch size) and one entry per stage
 *   solver.safetensors  the solver's fitted stage (FittedSolver.state()): its tensors by name, the
 *                       stage's JSON-able info in the manifest; block-diagonal solvers as
 *                       `block.<i>.<name>`, CG's preconditioner as `preconditioner.<name>`
 *   <stage>.safetensors the tensors of each stage a solver names in its state (info.stages):
 *                       K-FAC/EK-FAC's covariances, eigendecompositions and corrections
 *
 * Saving is all or nothing (a temporary directory renamed into place). Loading checks every pin
 * before reading a tensor, rebuilds the solver from its state (restoreSolver) and never refits.
 * A mismatch is a FitMismatchError; a missing, corrupted or foreign manifest or stage file is an
 * InputError.
 */
import { CurvatureError, FitMismatchError, InputError } from '../errors.js';
import type { RawArray } from '../io/array.js';
import { encodeSafetensors, readSafetensors } from '../io/safetensors.js';
import { nodeFs } from '../io/source.js';
import { tempPathFor, untrackTemp } from '../io/temp-files.js';
import { isChunkSource, type TrainingData } from '../nn/chunk-source.js';
import type { Objective } from '../nn/objective.js';
import { tensor } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { SOLVERS } from '../solvers/registry.js';
import type { SolverState } from '../solvers/types.js';
import { InfluenceModel, type InfluenceOptions } from './exact.js';

// node:crypto without a static import, so the library still loads in a browser (as src/io/source.ts).
const crypto = typeof process !== 'undefined' && typeof process.versions?.node === 'string' ? await import('node:crypto') : null;

export const FIT_FORMAT = 'curvature-fit';
export const FIT_FORMAT_VERSION = 1;
const MANIFEST = 'manifest.json';

/** One saved stage: its file, the file's SHA-256, its tensors and JSON-able info. */
export interface FitStage {
  file: string;
  sha256: string;
  tensors: { name: string; dtype: string; shape: number[] }[];
  info: Record<string, unknown>;
}

/** manifest.json of a saved fit. */
export interface FitManifest {
  format: typeof FIT_FORMAT;
  version: number;
  theta: { sha256: string; size: number; dtype: string };
  architecture: string;
  loss: string;
  weightDecay: number;
  trainSize: number;
  hessian: string;
  damping: number;
  solver: string;
  method: string;
  solverOptions: Record<string, unknown>;
  batchSize: number | null;
  stages: Record<string, FitStage>;
}

function sha256(bytes: Uint8Array): string {
  if (!crypto) throw new InputError('saving or loading a fit needs Node.js (node:crypto)');
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

/** SHA-256 (hex) of θ's values as little-endian float64 bytes: the pin a saved fit holds. */
export function thetaSha256(theta: Tensor): string {
  const v = Float64Array.from(theta.dataSync());
  const bytes = new Uint8Array(v.length * 8);
  const view = new DataView(bytes.buffer);
  v.forEach((x, i) => view.setFloat64(i * 8, x, true));
  return sha256(bytes);
}

function trainSize(train: TrainingData | { size: number }): number {
  if (isChunkSource(train)) throw new InputError('fit store: a chunk source must be checked first');
  return 'x' in train ? train.x.shape[0]! : train.size;
}

/** The pins of a model (everything but the stages). */
function pinsOf(objective: Objective, theta: Tensor, n: number): Pick<FitManifest, 'theta' | 'architecture' | 'loss' | 'weightDecay' | 'trainSize'> {
  return {
    theta: { sha256: thetaSha256(theta), size: theta.size, dtype: theta.dtype },
    architecture: objective.model.describe(), loss: objective.loss.name, weightDecay: objective.weightDecay, trainSize: n,
  };
}

function jsonOptions(o: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue;
    if (typeof v === 'function' || (typeof v === 'object' && v !== null && !Array.isArray(v) && !isPlain(v))) {
      throw new InputError(`cannot save a fit whose solver option '${k}' is a ${typeof v === 'function' ? 'function' : 'tensor or object'}: pass it by name or leave it out`);
    }
    out[k] = v;
  }
  return out;
}

function isPlain(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

function rawOf(t: Tensor): RawArray {
  const data = t.dataSync();
  const copy = data instanceof Float32Array ? Float32Array.from(data) : data instanceof Int32Array ? Int32Array.from(data) : Float64Array.from(data);
  return { data: copy, shape: [...t.shape], dtype: copy instanceof Float32Array ? 'float32' : copy instanceof Int32Array ? 'int32' : 'float64' };
}

/** A fit written in full to a temporary directory beside its target: commit() renames it into place, abort() deletes it. */
export interface StagedFit {
  readonly dir: string;
  readonly manifest: FitManifest;
  commit(): void;
  abort(): void;
}

/**
 * Checks that a fit can be saved to `dir` (before any computation): it is absent, an empty
 * directory or an earlier fit (with manifest.json), and its parent folder exists or can be made.
 */
export function checkFitTarget(dir: string): void {
  const { fs, path } = nodeFs('save a fit to', dir);
  if (typeof dir !== 'string' || dir === '') throw new InputError(`expected a directory to save the fit to, got ${JSON.stringify(dir)}`);
  const st = fs.statSync(dir, { throwIfNoEntry: false });
  if (st && !st.isDirectory()) throw new InputError(`cannot save a fit to '${dir}': it is a file, not a directory`);
  if (st) {
    const names = fs.readdirSync(dir);
    if (names.length > 0 && !names.includes(MANIFEST)) {
      throw new InputError(`cannot save a fit to '${dir}': the directory is not empty and holds no fit (${MANIFEST}); refusing to replace it`);
    }
  }
  const parent = fs.statSync(path.dirname(path.resolve(dir)), { throwIfNoEntry: false });
  if (parent && !parent.isDirectory()) throw new InputError(`cannot save a fit to '${dir}': ${path.dirname(path.resolve(dir))} is not a folder`);
}

function stageDir(dir: string, manifest: FitManifest, files: Record<string, Uint8Array | string>): StagedFit {
  const { fs, path } = nodeFs('save a fit to', dir);
  checkFitTarget(dir);
  const target = path.resolve(dir);
  const temp = tempPathFor(target);
  const remove = (p: string): void => { try { fs.rmSync(p, { recursive: true, force: true }); } catch { /* best effort */ } untrackTemp(p); };
  try {
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.mkdirSync(temp);
    for (const [name, data] of Object.entries(files)) {
      const fd = fs.openSync(path.join(temp, name), 'w');
      try { fs.writeFileSync(fd, data); fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
    }
  } catch (err) {
    remove(temp);
    throw new InputError(`cannot save a fit to '${dir}': ${(err as Error).message}`);
  }
  let done = false;
  return {
    dir, manifest,
    commit() {
      if (done) return;
      done = true;
      let old: string | null = null;
      try {
        if (fs.existsSync(target)) {
          checkFitTarget(dir);
          old = tempPathFor(target);
          fs.renameSync(target, old);
          try { fs.renameSync(temp, target); } catch (err) { fs.renameSync(old, target); untrackTemp(old); old = null; throw err; }
        } else {
          fs.renameSync(temp, target);
        }
        untrackTemp(temp);
      } catch (err) {
        remove(temp);
        if (err instanceof CurvatureError) throw err;
        throw new InputError(`cannot save a fit to '${dir}': ${(err as Error).message}`);
      } finally {
        if (old) remove(old);
      }
    },
    abort() {
      if (done) return;
      done = true;
      remove(temp);
    },
  };
}

/**
 * Writes `model`'s fit in full to a temporary directory beside `dir` (see the module comment);
 * commit() renames it into place (replacing an earlier fit there), abort() deletes it.
 */
export function stageFit(model: InfluenceModel, dir: string): StagedFit {
  const o = model.options;
  const solver = o.solver ?? 'direct';
  if (!model.solver.state) throw new InputError(`cannot save a fit of solver '${solver}' (${model.solver.method}): it holds state that cannot be saved (a function preconditioner?)`);
  const solverOptions = jsonOptions((o.solverOptions ?? {}) as Record<string, unknown>);
  const state = model.solver.state();
  // Tensors of a stage the solver names (K-FAC: covariances, eigendecompositions, corrections) go to
  // <stage>.safetensors; the rest, and every stage's info, to solver.safetensors.
  const named = Array.isArray(state.info['stages']) ? (state.info['stages'] as unknown[]).filter((x): x is string => typeof x === 'string' && /^[a-z][\w-]*$/.test(x) && x !== 'solver') : [];
  const groups = new Map<string, Map<string, RawArray>>([['solver', new Map()], ...named.map((n): [string, Map<string, RawArray>] => [n, new Map()])]);
  for (const [name, t] of Object.entries(state.tensors)) {
    const prefix = name.split('.')[0]!;
    groups.get(named.includes(prefix) ? prefix : 'solver')!.set(name, rawOf(t));
  }
  const files: Record<string, Uint8Array | string> = {};
  const stages: Record<string, FitStage> = {};
  for (const [stage, tensors] of groups) {
    const bytes = encodeSafetensors(tensors, { format: FIT_FORMAT, stage });
    const file = `${stage}.safetensors`;
    files[file] = bytes;
    stages[stage] = {
      file, sha256: sha256(bytes),
      tensors: [...tensors].map(([name, r]) => ({ name, dtype: r.dtype, shape: r.shape })),
      info: stage === 'solver' ? JSON.parse(JSON.stringify(state.info)) as Record<string, unknown> : {},
    };
  }
  const manifest: FitManifest = {
    format: FIT_FORMAT, version: FIT_FORMAT_VERSION,
    ...pinsOf(model.objective, model.theta, trainSize(model.train)),
    hessian: o.hessian ?? 'exact', damping: o.damping ?? 0, solver, method: model.solver.method, solverOptions,
    batchSize: o.batchSize ?? null,
    stages,
  };
  return stageDir(dir, manifest, { ...files, [MANIFEST]: JSON.stringify(manifest, null, 2) + '\n' });
}

/** Saves `model`'s fit to `dir` all or nothing (see the module comment). Returns the manifest written. */
export function saveFit(model: InfluenceModel, dir: string): FitManifest {
  const staged = stageFit(model, dir);
  staged.commit();
  return staged.manifest;
}

/** Reads and checks dir/manifest.json (format, version, field types); a missing or malformed one is an InputError. */
export function readFitManifest(dir: string): FitManifest {
  const { fs, path } = nodeFs('load a fit from', dir);
  const file = path.join(dir, MANIFEST);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new InputError(`no saved fit at '${dir}': cannot read ${MANIFEST} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
  }
  let m: unknown;
  try { m = JSON.parse(text); } catch (err) { throw new InputError(`saved fit '${file}': not valid JSON (${(err as Error).message})`); }
  const bad = (what: string): never => { throw new InputError(`saved fit '${file}': ${what}`); };
  if (typeof m !== 'object' || m === null || Array.isArray(m)) bad('expected a JSON object');
  const r = m as Record<string, unknown>;
  if (r['format'] !== FIT_FORMAT) bad(`expected format "${FIT_FORMAT}", got ${JSON.stringify(r['format'])}`);
  if (r['version'] !== FIT_FORMAT_VERSION) bad(`format version ${JSON.stringify(r['version'])}; this build reads version ${FIT_FORMAT_VERSION}`);
  const theta = r['theta'] as Record<string, unknown> | undefined;
  if (!theta || typeof theta['sha256'] !== 'string' || typeof theta['size'] !== 'number' || typeof theta['dtype'] !== 'string') bad('theta must hold sha256, size and dtype');
  for (const k of ['architecture', 'loss', 'hessian', 'solver', 'method']) if (typeof r[k] !== 'string') bad(`${k} must be a string, got ${JSON.stringify(r[k])}`);
  for (const k of ['weightDecay', 'trainSize', 'damping']) if (typeof r[k] !== 'number') bad(`${k} must be a number, got ${JSON.stringify(r[k])}`);
  if (r['batchSize'] !== null && typeof r['batchSize'] !== 'number') bad('batchSize must be a number or null');
  if (typeof r['solverOptions'] !== 'object' || r['solverOptions'] === null) bad('solverOptions must be an object');
  if (!Object.hasOwn(SOLVERS, r['solver'] as string)) bad(`unknown solver ${JSON.stringify(r['solver'])}`);
  const stages = r['stages'] as Record<string, unknown> | undefined;
  if (!stages || typeof stages !== 'object' || !stages['solver']) bad('stages.solver is missing');
  for (const [name, st] of Object.entries(stages!)) {
    const stage = st as Record<string, unknown> | null;
    if (!stage || typeof stage['file'] !== 'string' || typeof stage['sha256'] !== 'string' || typeof stage['info'] !== 'object' || stage['info'] === null
      || !/^[\w-][\w.-]*$/.test(stage['file'])) {
      bad(`stages.${name} must hold file, sha256 and info`);
    }
  }
  return m as FitManifest;
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/**
 * The model saved in `dir`, for `objective`, `theta` and `train` (InfluenceModel.load). Every pin
 * is checked first (FitMismatchError naming the field); `options` given must agree with the
 * manifest, absent ones are taken from it.
 */
export function loadFit(dir: string, objective: Objective, theta: Tensor, train: TrainingData, options: InfluenceOptions = {}): InfluenceModel {
  const m = readFitManifest(dir);
  const what = `saved fit '${dir}'`;
  const check = (field: string, saved: unknown, given: unknown): void => {
    if (!same(saved, given)) throw new FitMismatchError(field, saved, given, what);
  };
  check('architecture', m.architecture, objective.model.describe());
  check('loss', m.loss, objective.loss.name);
  check('weight decay', m.weightDecay, objective.weightDecay);
  check('parameter count', m.theta.size, theta.size);
  check('θ dtype', m.theta.dtype, theta.dtype);
  check('θ (SHA-256 of its float64 bytes)', m.theta.sha256, thetaSha256(theta));
  if (!isChunkSource(train)) check('training-set size N', m.trainSize, train.x.shape[0]);
  if (options.hessian !== undefined) check('hessian', m.hessian, options.hessian);
  if (options.solver !== undefined) check('solver', m.solver, options.solver);
  if (options.damping !== undefined) check('damping', m.damping, options.damping);
  const solverOptions: Record<string, unknown> = { ...m.solverOptions };
  for (const [k, v] of Object.entries(options.solverOptions ?? {})) {
    if (v === undefined) continue;
    if (!Object.hasOwn(m.solverOptions, k)) throw new FitMismatchError(`solver option '${k}'`, null, typeof v === 'function' ? 'a function' : v, what);
    check(`solver option '${k}'`, m.solverOptions[k], v);
  }
  const { fs, path } = nodeFs('load a fit from', dir);
  // Every stage file is read and checked against its SHA-256 before any tensor is made.
  const raw: [string, RawArray][] = [];
  for (const stage of Object.values(m.stages)) {
    const file = path.join(dir, stage.file);
    let bytes: Uint8Array;
    try {
      const buf = fs.readFileSync(file);
      bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
    } catch (err) {
      throw new InputError(`${what}: cannot read ${stage.file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`);
    }
    if (sha256(bytes) !== stage.sha256) throw new InputError(`${what}: ${stage.file} does not match the SHA-256 in ${MANIFEST} (corrupted or replaced)`);
    raw.push(...readSafetensors(bytes).tensors);
  }
  const tensors: Record<string, Tensor> = {};
  try {
    for (const [name, r] of raw) {
      if (r.dtype !== 'float32' && r.dtype !== 'float64' && r.dtype !== 'int32') throw new InputError(`${what}: tensor '${name}' has dtype ${r.dtype}`);
      tensors[name] = tensor(r.data as Float64Array, r.shape, r.dtype);
    }
    const state: SolverState = { tensors, info: m.stages.solver!.info };
    const opts: InfluenceOptions = {
      ...options, hessian: m.hessian as InfluenceOptions['hessian'], solver: m.solver as InfluenceOptions['solver'], damping: m.damping,
      solverOptions, ...(options.batchSize === undefined && m.batchSize !== null ? { batchSize: m.batchSize } : {}),
    };
    const model = InfluenceModel.restore(objective, theta, train, opts, state);
    if (isChunkSource(train)) {
      const n = (model.train as { size: number }).size;
      if (n !== m.trainSize) { model.dispose(); throw new FitMismatchError('training-set size N', m.trainSize, n, what); }
    }
    return model;
  } catch (err) {
    for (const t of Object.values(tensors)) t.dispose();
    if (err instanceof CurvatureError) throw err;
    throw new InputError(`${what}: cannot rebuild the solver (${(err as Error).message})`);
  }
}
