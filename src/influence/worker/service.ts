/**
 * InfluenceService: the influence API behind async methods, computed on a worker thread
 * (node:worker_threads) so that a Node service embedding it keeps answering while a fit or a
 * scoring pass runs for seconds or minutes. Kronfluence-style split (DESIGN.md): fit() builds the
 * curvature and its solver once, in the worker; scores(), selfInfluence() reuse it.
 *
 * Cancellation: every call takes an AbortSignal. Streaming calls (scores, selfInfluence) are
 * cancelled cooperatively between chunks, deleting any partial .npy; calls that are one long
 * synchronous computation (fit, leaveOneOut, pbrf) are cancelled by terminating the worker — the
 * service then restarts a fresh worker on the next call, and fit() must be called again.
 * A cancelled call rejects with CancelledError; worker-side errors come back as the same typed
 * error classes (ShapeError, InputError, …) with their messages.
 *
 * Ordering: a call that needs the fitted model (scores, selfInfluence, perturbation, group) waits
 * for a fit() issued before it, then runs; a fit() waits for the calls issued before it to finish
 * (it replaces the model they read). Calls that need no fit (leaveOneOut, pbrf) run at once.
 *
 * Files: a .npy output is written to a temporary file next to its target and renamed at the end.
 * The worker names each temporary file to the service before creating it; whenever the worker
 * stops — close(), a cancelled fit, a crash — the service deletes the ones still open, so close()
 * mid-stream leaves nothing behind. Temporary files of a target left by a killed process are
 * deleted when that target is next opened (NpyWriter).
 *
 * Lifetime: the worker keeps the process alive only while a call is pending; a service that is
 * never closed does not keep Node running once its calls are done (close() still frees the worker).
 *
 * Training data larger than memory: start the service with an NpyChunkSpec { kind: 'npy', x, y,
 * chunkRows } instead of a dataset; the worker then fits and scores from the .npy files chunk by
 * chunk (npyChunkSource). leaveOneOut and pbrf retrain on the data and need it in memory: with an
 * npy spec they reject with InputError.
 */
import type { FitManifest } from '../fit-store.js';
import type { Worker } from 'node:worker_threads';
import * as errors from '../../errors.js';
import { CancelledError, InputError } from '../../errors.js';
import { getBackend } from '../../backend/registry.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Dataset, Objective } from '../../nn/objective.js';
import type { InfluenceOptions, SolveStats } from '../exact.js';
import type { PbrfResult } from '../pbrf.js';
import type { StreamResult } from '../streaming.js';
import type { Reply, Request, ScoreRequest, SerializableOutput } from './protocol.js';
import {
  chunkSourceFromSpec, datasetSpec, isNpyChunkSpec, objectiveSpec, tensorSpec,
  type DatasetSpec, type NpyChunkSpec, type ObjectiveSpec, type TensorSpec,
} from './spec.js';
import { readNpyHeader } from '../../io/npy.js';
import { nodeFs } from '../../io/source.js';

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (p: { phase: string; done: number; total?: number }) => void;
}

/** One worker thread and what the service must clean up after it. */
interface Thread {
  readonly worker: Worker;
  /** Temporary files announced by each of its requests and not yet finished with (renamed or deleted). */
  readonly temps: Map<number, string[]>;
  /** Settles once the thread has exited and its temporary files are deleted. */
  readonly gone: Promise<void>;
  exited: boolean;
}

type Pending = { thread: Thread; resolve: (v: unknown) => void; reject: (e: Error) => void; onProgress?: CallOptions['onProgress'] };

/** Resolves when `p` settles (p must not reject), or rejects with CancelledError when `signal` aborts first. */
function waitTurn(p: Promise<void>, signal: AbortSignal | undefined, op: string): Promise<void> {
  const cancelled = () => new CancelledError(`${op} was cancelled before it started`);
  if (signal?.aborted) return Promise.reject(cancelled());
  if (!signal) return p;
  return new Promise<void>((resolve, reject) => {
    const onAbort = (): void => reject(cancelled());
    signal.addEventListener('abort', onAbort, { once: true });
    void p.then(() => { signal.removeEventListener('abort', onAbort); resolve(); });
  });
}

const settled = (p: Promise<unknown>): Promise<void> => p.then(() => undefined, () => undefined);
type Body = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

function typedError(name: string, message: string): Error {
  const C = (errors as Record<string, unknown>)[name];
  if (typeof C === 'function' && (C === errors.CurvatureError || (C as { prototype: unknown }).prototype instanceof errors.CurvatureError)) {
    const E = C as new (m: string, ...rest: unknown[]) => Error;
    if (name === 'BackendUnavailableError') return new errors.BackendUnavailableError('worker', message);
    // The numeric fields (pivot index and value) do not cross the thread; the message carries them.
    if (name === 'NotPositiveDefiniteError') return new errors.NotPositiveDefiniteError(message, -1, NaN);
    if (name === 'FitMismatchError') return Object.assign(new errors.FitMismatchError('', null, null), { message });
    return new E(message);
  }
  const e = new Error(message);
  e.name = name;
  return e;
}

export class InfluenceService {
  private thread: Thread | null = null;
  /** Every thread started and not yet gone (a terminated one may still be exiting). */
  private readonly threads = new Set<Thread>();
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private fitted = false;
  private closed = false;
  /** Settles when the last fit() issued has settled. */
  private fitTurn: Promise<void> = Promise.resolve();
  /** Calls that read the fitted model, issued and not yet settled (a fit() waits for them). */
  private readonly readers = new Set<Promise<void>>();
  private readonly init: { objective: ObjectiveSpec; theta: TensorSpec; train: DatasetSpec | NpyChunkSpec; backend: string };

  private constructor(objective: Objective, theta: Tensor, train: Dataset | NpyChunkSpec, backend: string) {
    objective.model.checkTheta(theta);
    if (isNpyChunkSpec(train)) {
      // Headers only here (paths, shapes, feature width); the worker validates the rows.
      chunkSourceFromSpec(train);
      const shape = readNpyHeader(train.x).shape;
      objective.model.checkInput({ shape }, `training data ${train.x}`);
      this.init = { objective: objectiveSpec(objective), theta: tensorSpec(theta), train: { ...train }, backend };
      return;
    }
    objective.validate(train, 'training data');
    this.init = { objective: objectiveSpec(objective), theta: tensorSpec(theta), train: datasetSpec(train), backend };
  }

  /**
   * Validates on the main thread (typed errors right away), then starts the worker and sends it the
   * model and data: a dataset, or an NpyChunkSpec naming .npy files streamed chunk by chunk.
   */
  static async start(objective: Objective, theta: Tensor, train: Dataset | NpyChunkSpec, options: { backend?: string } = {}): Promise<InfluenceService> {
    const service = new InfluenceService(objective, theta, train, options.backend ?? getBackend().name);
    await service.ensureWorker();
    return service;
  }

  /**
   * Fits the curvature operator and its solver in the worker (a Cholesky factorisation for 'direct').
   * Runs after the calls issued before it; calls that need the fit and are issued after it wait for it.
   */
  fit(options: InfluenceOptions = {}, call: CallOptions = {}): Promise<{ seconds: number }> {
    return this.replaceFit({ op: 'fit', options }, call);
  }

  /**
   * Loads a fit saved by InfluenceModel.save / save() / `--save-fit` into the worker instead of
   * fitting (InfluenceModel.load: every pin is checked against this service's model, θ and data; a
   * mismatch is a FitMismatchError). Ordered like fit().
   */
  load(dir: string, options: InfluenceOptions = {}, call: CallOptions = {}): Promise<{ seconds: number }> {
    if (typeof dir !== 'string' || dir === '') throw new InputError(`InfluenceService.load: expected a directory, got ${JSON.stringify(dir)}`);
    return this.replaceFit({ op: 'load', dir, options }, call);
  }

  /** Saves the worker's fit to `dir` (InfluenceModel.save: all or nothing); returns the manifest. */
  async save(dir: string, call: CallOptions = {}): Promise<FitManifest> {
    this.checkOpen();
    if (typeof dir !== 'string' || dir === '') throw new InputError(`InfluenceService.save: expected a directory, got ${JSON.stringify(dir)}`);
    return await this.afterFit<FitManifest>({ op: 'save', dir }, call, 'terminate');
  }

  /** fit() and load(): run after every call issued before; calls issued after wait for it. */
  private replaceFit(body: { op: 'fit'; options: InfluenceOptions } | { op: 'load'; dir: string; options: InfluenceOptions }, call: CallOptions): Promise<{ seconds: number }> {
    const before = Promise.all([this.fitTurn, ...this.readers].map(settled)).then(() => undefined);
    const run = (async () => {
      await waitTurn(before, call.signal, body.op);
      this.fitted = false;
      const r = await this.request(body, call, 'terminate') as { seconds: number };
      this.fitted = true;
      return r;
    })();
    this.fitTurn = settled(run);
    return run;
  }

  /** Runs a call that reads the fitted model once the fit() issued before it (if any) has settled. */
  private afterFit<T>(body: Body, call: CallOptions, cancel: 'message' | 'terminate'): Promise<T> {
    const turn = this.fitTurn;
    const run = (async () => {
      await waitTurn(turn, call.signal, body.op);
      this.needFit();
      return await this.request(body, call, cancel) as T;
    })();
    const mark = settled(run);
    this.readers.add(mark);
    void mark.then(() => this.readers.delete(mark));
    return run;
  }

  /**
   * Influence of the training points (or `options.train`) on each test point, streamed in chunks
   * in the worker: scores [nTest, nTrain] (unless keepScores: false), top-k, and/or a .npy file.
   */
  async scores(test: Dataset, options: ScoreRequest & { train?: Dataset } = {}, call: CallOptions = {}): Promise<StreamResult> {
    this.checkOpen();
    const out = options.output;
    if (typeof out === 'function') throw new InputError('InfluenceService: a function output cannot be sent to a worker thread; use InfluenceModel with streamInfluence on this thread');
    const { train, ...rest } = options;
    return await this.afterFit<StreamResult>({ op: 'score', test: datasetSpec(test), train: train ? datasetSpec(train) : undefined, options: rest }, call, 'message');
  }

  /** Self-influence ∇ℓᵀH⁻¹∇ℓ of each training point (or of `options.train`), streamed in chunks. */
  async selfInfluence(options: { train?: Dataset; chunkSize?: number; npyPath?: string } = {}, call: CallOptions = {}): Promise<{ scores: Float64Array; stats: SolveStats }> {
    this.checkOpen();
    const { train, ...rest } = options;
    return await this.afterFit<{ scores: Float64Array; stats: SolveStats }>({ op: 'selfInfluence', train: train ? datasetSpec(train) : undefined, options: rest }, call, 'message');
  }

  /**
   * Perturbation influence of the inputs of `train` on each test point (perturbationInfluence:
   * Koh & Liang 2017 §2.2), computed in the worker; returned as a flat float64 array and its shape.
   */
  async perturbation(test: Dataset, train: Dataset, options: { output?: SerializableOutput } = {}, call: CallOptions = {}): Promise<{ data: Float64Array; shape: number[] }> {
    this.checkOpen();
    return await this.afterFit<{ data: Float64Array; shape: number[] }>({ op: 'perturbation', test: datasetSpec(test), train: datasetSpec(train), options }, call, 'terminate');
  }

  /** First-order group influence (groupInfluence) of groups of training rows, [nTest, nGroups], in the worker. */
  async group(test: Dataset, groups: readonly (readonly number[])[], options: { output?: SerializableOutput } = {}, call: CallOptions = {}): Promise<{ data: Float64Array; shape: number[] }> {
    this.checkOpen();
    if (!Array.isArray(groups)) throw new InputError('InfluenceService.group: expected a list of index groups');
    return await this.afterFit<{ data: Float64Array; shape: number[] }>({ op: 'group', test: datasetSpec(test), groups: groups.map((g) => [...g]), options }, call, 'terminate');
  }

  /** Leave-one-out retraining ground truth (leaveOneOut) in the worker. */
  async leaveOneOut(test: Dataset, removed: number[], options: { gradTol?: number; maxIter?: number } = {}, call: CallOptions = {}): Promise<{ deltas: Float64Array[]; gradNorms: number[]; iterations: number[] }> {
    return await this.request({ op: 'leaveOneOut', test: datasetSpec(test), removed: [...removed], options }, call, 'terminate') as { deltas: Float64Array[]; gradNorms: number[]; iterations: number[] };
  }

  /** PBRF ground truth (pbrf, 004_… eq. 28–30) in the worker. */
  async pbrf(test: Dataset, removed: number[], options: { damping: number; epsilon?: number; relTol?: number; maxIter?: number }, call: CallOptions = {}): Promise<PbrfResult> {
    return await this.request({ op: 'pbrf', test: datasetSpec(test), removed: [...removed], options }, call, 'terminate') as PbrfResult;
  }

  /**
   * Stops the worker; pending calls reject with CancelledError, and the temporary files of an
   * output being written are deleted before this resolves.
   */
  async close(): Promise<void> {
    this.closed = true;
    await this.kill(this.thread, 'the service was closed');
    await Promise.all([...this.threads].map((t) => t.gone));
  }

  private checkOpen(): void {
    if (this.closed) throw new InputError('InfluenceService: the service is closed');
  }

  private needFit(): void {
    this.checkOpen();
    if (!this.fitted) throw new InputError('InfluenceService: call fit() before scoring (a cancelled fit, or a restarted worker, needs a new fit)');
  }

  private async ensureWorker(): Promise<Thread> {
    // Imported on first use: a browser bundle of the library must not import node:worker_threads.
    // (The checks follow the await, so two concurrent calls cannot both start a worker.)
    const { Worker: NodeWorker } = await import('node:worker_threads');
    if (this.closed) throw new InputError('InfluenceService: the service is closed');
    if (this.thread) return this.thread;
    const w = new NodeWorker(new URL('./worker.js', import.meta.url));
    let markGone!: () => void;
    const t: Thread = { worker: w, temps: new Map(), gone: new Promise<void>((r) => { markGone = r; }), exited: false };
    this.thread = t;
    this.threads.add(t);
    w.on('message', (m: Reply) => {
      if (m.kind === 'temp') {
        t.temps.set(m.id, [...(t.temps.get(m.id) ?? []), m.path]);
        return;
      }
      // A result or an error: the worker has renamed or deleted the request's temporary files.
      if (m.kind !== 'progress') t.temps.delete(m.id);
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.kind === 'progress') { p.onProgress?.(m.progress); return; }
      this.pending.delete(m.id);
      this.updateRef(t);
      if (m.kind === 'result') p.resolve(m.result);
      else p.reject(typedError(m.name, m.message));
    });
    w.on('error', (err) => this.failThread(t, err instanceof Error ? err : new Error(String(err))));
    // Only this thread's calls fail with it: a fresh worker started after a cancelled fit (or any
    // later one) keeps its own pending calls when this one's exit event arrives.
    w.on('exit', () => {
      t.exited = true;
      if (this.thread === t) { this.thread = null; this.fitted = false; }
      this.failThread(t, new CancelledError('the influence worker stopped'));
      removeTemps(t);
      this.threads.delete(t);
      markGone();
    });
    await this.send(t, { op: 'init', ...this.init }, {});
    return t;
  }

  private request(body: Body, call: CallOptions, cancel: 'message' | 'terminate'): Promise<unknown> {
    return this.ensureWorker().then((t) => this.send(t, body, call, cancel));
  }

  private send(t: Thread, body: Body, call: CallOptions, cancel: 'message' | 'terminate' = 'terminate'): Promise<unknown> {
    const id = this.nextId++;
    const signal = call.signal;
    if (signal?.aborted) return Promise.reject(new CancelledError(`${body.op} was cancelled before it started`));
    if (t.exited) return Promise.reject(new CancelledError(`${body.op}: the influence worker stopped`));
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = (): void => {
        if (cancel === 'message') {
          t.worker.postMessage({ id, op: 'abort' } satisfies Request);
        } else {
          this.pending.delete(id);
          this.updateRef(t);
          reject(new CancelledError(`${body.op} was cancelled; the worker was stopped`));
          void this.kill(t, `${body.op} was cancelled`);
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        thread: t,
        resolve: (v) => { done(); resolve(v); },
        reject: (e) => { done(); reject(e); },
        onProgress: call.onProgress,
      });
      this.updateRef(t);
      t.worker.postMessage({ id, ...body } as Request);
    });
  }

  /** The worker keeps the process alive only while one of its calls is pending. */
  private updateRef(t: Thread): void {
    for (const p of this.pending.values()) {
      if (p.thread === t) { t.worker.ref(); return; }
    }
    t.worker.unref();
  }

  private failThread(t: Thread, err: Error): void {
    const mine = [...this.pending].filter(([, p]) => p.thread === t);
    for (const [id] of mine) this.pending.delete(id);
    for (const [, p] of mine) p.reject(err);
  }

  /** Terminates a thread (the current one if it is that); its calls reject, its temporary files go. */
  private async kill(t: Thread | null, reason: string): Promise<void> {
    if (!t) return;
    if (this.thread === t) { this.thread = null; this.fitted = false; }
    this.failThread(t, new CancelledError(reason));
    await t.worker.terminate();
    await t.gone;
  }
}

/** Deletes the temporary files a terminated worker had open (best effort: the process goes on). */
function removeTemps(t: Thread): void {
  const paths = [...t.temps.values()].flat();
  t.temps.clear();
  if (paths.length === 0) return;
  const { fs } = nodeFs('remove', paths[0]!);
  for (const path of paths) {
    try { fs.rmSync(path, { force: true }); } catch { /* not ours to remove any more */ }
  }
}
