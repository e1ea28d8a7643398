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
 * Training data larger than memory: start the service with an NpyChunkSpec { kind: 'npy', x, y,
 * chunkRows } instead of a dataset; the worker then fits and scores from the .npy files chunk by
 * chunk (npyChunkSource). leaveOneOut and pbrf retrain on the data and need it in memory: with an
 * npy spec they reject with InputError.
 */
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
import { ShapeError } from '../../errors.js';
import { readNpyHeader } from '../../io/npy.js';

export interface CallOptions {
  signal?: AbortSignal;
  onProgress?: (p: { phase: string; done: number; total?: number }) => void;
}

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; onProgress?: CallOptions['onProgress'] };
type Body = Request extends infer R ? (R extends { id: number } ? Omit<R, 'id'> : never) : never;

function typedError(name: string, message: string): Error {
  const C = (errors as Record<string, unknown>)[name];
  if (typeof C === 'function' && (C === errors.CurvatureError || (C as { prototype: unknown }).prototype instanceof errors.CurvatureError)) {
    const E = C as new (m: string, ...rest: unknown[]) => Error;
    if (name === 'BackendUnavailableError') return new errors.BackendUnavailableError('worker', message);
    // The numeric fields (pivot index and value) do not cross the thread; the message carries them.
    if (name === 'NotPositiveDefiniteError') return new errors.NotPositiveDefiniteError(message, -1, NaN);
    return new E(message);
  }
  const e = new Error(message);
  e.name = name;
  return e;
}

export class InfluenceService {
  private worker: Worker | null = null;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private fitted = false;
  private closed = false;
  private readonly init: { objective: ObjectiveSpec; theta: TensorSpec; train: DatasetSpec | NpyChunkSpec; backend: string };

  private constructor(objective: Objective, theta: Tensor, train: Dataset | NpyChunkSpec, backend: string) {
    objective.model.checkTheta(theta);
    if (isNpyChunkSpec(train)) {
      // Headers only here (paths, shapes, feature width); the worker validates the rows.
      chunkSourceFromSpec(train);
      const width = readNpyHeader(train.x).shape[1];
      if (width !== objective.model.inFeatures) {
        throw new ShapeError(`training data ${train.x}: inputs have ${width} features, ${objective.model.describe()} expects ${objective.model.inFeatures}`);
      }
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

  /** Fits the curvature operator and its solver in the worker (a Cholesky factorisation for 'direct'). */
  async fit(options: InfluenceOptions = {}, call: CallOptions = {}): Promise<{ seconds: number }> {
    this.fitted = false;
    const r = await this.request({ op: 'fit', options }, call, 'terminate') as { seconds: number };
    this.fitted = true;
    return r;
  }

  /**
   * Influence of the training points (or `options.train`) on each test point, streamed in chunks
   * in the worker: scores [nTest, nTrain] (unless keepScores: false), top-k, and/or a .npy file.
   */
  async scores(test: Dataset, options: ScoreRequest & { train?: Dataset } = {}, call: CallOptions = {}): Promise<StreamResult> {
    this.needFit();
    const out = options.output;
    if (typeof out === 'function') throw new InputError('InfluenceService: a function output cannot be sent to a worker thread; use InfluenceModel with streamInfluence on this thread');
    const { train, ...rest } = options;
    return await this.request({ op: 'score', test: datasetSpec(test), train: train ? datasetSpec(train) : undefined, options: rest }, call, 'message') as StreamResult;
  }

  /** Self-influence ∇ℓᵀH⁻¹∇ℓ of each training point (or of `options.train`), streamed in chunks. */
  async selfInfluence(options: { train?: Dataset; chunkSize?: number; npyPath?: string } = {}, call: CallOptions = {}): Promise<{ scores: Float64Array; stats: SolveStats }> {
    this.needFit();
    const { train, ...rest } = options;
    return await this.request({ op: 'selfInfluence', train: train ? datasetSpec(train) : undefined, options: rest }, call, 'message') as { scores: Float64Array; stats: SolveStats };
  }

  /**
   * Perturbation influence of the inputs of `train` on each test point (perturbationInfluence:
   * Koh & Liang 2017 §2.2), computed in the worker; returned as a flat float64 array and its shape.
   */
  async perturbation(test: Dataset, train: Dataset, options: { output?: SerializableOutput } = {}, call: CallOptions = {}): Promise<{ data: Float64Array; shape: number[] }> {
    this.needFit();
    return await this.request({ op: 'perturbation', test: datasetSpec(test), train: datasetSpec(train), options }, call, 'terminate') as { data: Float64Array; shape: number[] };
  }

  /** First-order group influence (groupInfluence) of groups of training rows, [nTest, nGroups], in the worker. */
  async group(test: Dataset, groups: readonly (readonly number[])[], options: { output?: SerializableOutput } = {}, call: CallOptions = {}): Promise<{ data: Float64Array; shape: number[] }> {
    this.needFit();
    if (!Array.isArray(groups)) throw new InputError('InfluenceService.group: expected a list of index groups');
    return await this.request({ op: 'group', test: datasetSpec(test), groups: groups.map((g) => [...g]), options }, call, 'terminate') as { data: Float64Array; shape: number[] };
  }

  /** Leave-one-out retraining ground truth (leaveOneOut) in the worker. */
  async leaveOneOut(test: Dataset, removed: number[], options: { gradTol?: number; maxIter?: number } = {}, call: CallOptions = {}): Promise<{ deltas: Float64Array[]; gradNorms: number[]; iterations: number[] }> {
    return await this.request({ op: 'leaveOneOut', test: datasetSpec(test), removed: [...removed], options }, call, 'terminate') as { deltas: Float64Array[]; gradNorms: number[]; iterations: number[] };
  }

  /** PBRF ground truth (pbrf, 004_… eq. 28–30) in the worker. */
  async pbrf(test: Dataset, removed: number[], options: { damping: number; epsilon?: number; relTol?: number; maxIter?: number }, call: CallOptions = {}): Promise<PbrfResult> {
    return await this.request({ op: 'pbrf', test: datasetSpec(test), removed: [...removed], options }, call, 'terminate') as PbrfResult;
  }

  /** Stops the worker; pending calls reject with CancelledError. */
  async close(): Promise<void> {
    this.closed = true;
    await this.kill('the service was closed');
  }

  private needFit(): void {
    if (this.closed) throw new InputError('InfluenceService: the service is closed');
    if (!this.fitted) throw new InputError('InfluenceService: call fit() before scoring (a cancelled fit, or a restarted worker, needs a new fit)');
  }

  private async ensureWorker(): Promise<Worker> {
    // Imported on first use: a browser bundle of the library must not import node:worker_threads.
    // (The checks follow the await, so two concurrent calls cannot both start a worker.)
    const { Worker: NodeWorker } = await import('node:worker_threads');
    if (this.closed) throw new InputError('InfluenceService: the service is closed');
    if (this.worker) return this.worker;
    const w = new NodeWorker(new URL('./worker.js', import.meta.url));
    this.worker = w;
    w.on('message', (m: Reply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if (m.kind === 'progress') { p.onProgress?.(m.progress); return; }
      this.pending.delete(m.id);
      if (m.kind === 'result') p.resolve(m.result);
      else p.reject(typedError(m.name, m.message));
    });
    w.on('error', (err) => this.failAll(err instanceof Error ? err : new Error(String(err))));
    w.on('exit', () => {
      if (this.worker === w) { this.worker = null; this.fitted = false; }
      this.failAll(new CancelledError('the influence worker stopped'));
    });
    await this.send(w, { op: 'init', ...this.init }, {});
    return w;
  }

  private request(body: Body, call: CallOptions, cancel: 'message' | 'terminate'): Promise<unknown> {
    return this.ensureWorker().then((w) => this.send(w, body, call, cancel));
  }

  private send(w: Worker, body: Body, call: CallOptions, cancel: 'message' | 'terminate' = 'terminate'): Promise<unknown> {
    const id = this.nextId++;
    const signal = call.signal;
    if (signal?.aborted) return Promise.reject(new CancelledError(`${body.op} was cancelled before it started`));
    return new Promise<unknown>((resolve, reject) => {
      const onAbort = (): void => {
        if (cancel === 'message') {
          w.postMessage({ id, op: 'abort' } satisfies Request);
        } else {
          this.pending.delete(id);
          reject(new CancelledError(`${body.op} was cancelled; the worker was stopped`));
          void this.kill(`${body.op} was cancelled`);
        }
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const done = (): void => signal?.removeEventListener('abort', onAbort);
      this.pending.set(id, {
        resolve: (v) => { done(); resolve(v); },
        reject: (e) => { done(); reject(e); },
        onProgress: call.onProgress,
      });
      w.postMessage({ id, ...body } as Request);
    });
  }

  private failAll(err: Error): void {
    const all = [...this.pending.values()];
    this.pending.clear();
    for (const p of all) p.reject(err);
  }

  private async kill(reason: string): Promise<void> {
    const w = this.worker;
    this.worker = null;
    this.fitted = false;
    this.failAll(new CancelledError(reason));
    if (w) await w.terminate();
  }
}
