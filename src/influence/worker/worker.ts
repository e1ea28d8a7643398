/**
 * Worker-thread entry of InfluenceService: rebuilds the objective, θ and training data from their
 * specs, then serves fit / score / self-influence / validation requests, posting progress. Scoring
 * streams the training set in chunks and yields between them, so an 'abort' message is seen there
 * (the partial .npy is deleted); fitting is one synchronous call, cancelled by terminating the thread.
 * Each temporary output file is named to the service ('temp' reply) before it is created, so that
 * the service can delete it when it terminates this thread mid-stream.
 */
import { parentPort } from 'node:worker_threads';
import { setBackend } from '../../backend/registry.js';
import '../../index.js';
import { InputError } from '../../errors.js';
import { keep } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Dataset, Objective } from '../../nn/objective.js';
import { InfluenceModel } from '../exact.js';
import { CheckedChunks, isChunkSource, passChunks, type TrainingData } from '../../nn/chunk-source.js';
import { groupInfluence } from '../group.js';
import { perturbationInfluence } from '../perturbation.js';
import { leaveOneOut } from '../leave-one-out.js';
import { pbrf } from '../pbrf.js';
import { chunked, streamInfluence, streamSelfInfluence } from '../streaming.js';
import type { Reply, Request } from './protocol.js';
import { chunkSourceFromSpec, datasetFromSpec, isNpyChunkSpec, objectiveFromSpec, tensorFromSpec } from './spec.js';

const port = parentPort;
if (!port) throw new Error('influence worker: must run in a worker thread');

let state: { objective: Objective; theta: Tensor; train: TrainingData } | null = null;
let fitted: InfluenceModel | null = null;
const controllers = new Map<number, AbortController>();

const post = (m: Reply): void => port.postMessage(m);

function need<T>(v: T | null, what: string): T {
  if (v === null) throw new InputError(`influence service: ${what}`);
  return v;
}

/** The chunks and row count of a scoring pass over in-memory data or the fitted chunk source. */
function scoringChunks(train: TrainingData, chunkSize: number): { chunks: Iterable<Dataset>; total: number } {
  if (isChunkSource(train)) return { chunks: passChunks(train), total: train.size! };
  return { chunks: chunked(train, chunkSize), total: train.x.shape[0]! };
}

function disposeData(d: Dataset | undefined): void {
  if (d) { d.x.dispose(); d.y.dispose(); }
}

async function handle(req: Exclude<Request, { op: 'abort' }>): Promise<unknown> {
  switch (req.op) {
    case 'init': {
      setBackend(req.backend);
      const objective = objectiveFromSpec(req.objective);
      const theta = keep(tensorFromSpec(req.theta));
      objective.model.checkTheta(theta);
      if (isNpyChunkSpec(req.train)) {
        // One validation pass over the files; fit() reuses it (CheckedChunks.of).
        const train = CheckedChunks.of(chunkSourceFromSpec(req.train), objective, 'training data');
        state = { objective, theta, train };
        return { parameters: theta.size, trainSize: train.n };
      }
      const train = datasetFromSpec(req.train);
      keep(train.x); keep(train.y);
      objective.validate(train, 'training data');
      state = { objective, theta, train };
      return { parameters: theta.size, trainSize: train.x.shape[0] };
    }
    case 'fit': {
      const s = need(state, 'not initialised');
      post({ id: req.id, kind: 'progress', progress: { phase: 'fit', done: 0, total: 1 } });
      const t0 = performance.now();
      const model = InfluenceModel.fit(s.objective, s.theta, s.train, req.options);
      fitted?.dispose();
      fitted = model;
      post({ id: req.id, kind: 'progress', progress: { phase: 'fit', done: 1, total: 1 } });
      return { seconds: (performance.now() - t0) / 1000 };
    }
    case 'load': {
      const s = need(state, 'not initialised');
      const t0 = performance.now();
      const model = InfluenceModel.load(req.dir, s.objective, s.theta, s.train, req.options);
      fitted?.dispose();
      fitted = model;
      return { seconds: (performance.now() - t0) / 1000 };
    }
    case 'save':
      return need(fitted, 'call fit() or load() before save()').save(req.dir);
    case 'score': {
      const model = need(fitted, 'call fit() before scoring');
      const ctl = new AbortController();
      controllers.set(req.id, ctl);
      const test = datasetFromSpec(req.test);
      const other = req.train ? datasetFromSpec(req.train) : undefined;
      const train = other ?? model.train;
      try {
        const { chunks, total } = scoringChunks(train, req.options.chunkSize ?? 256);
        return await streamInfluence(model, test, chunks, {
          ...req.options, total, signal: ctl.signal,
          onProgress: (p) => post({ id: req.id, kind: 'progress', progress: p }),
          onTempFile: (path) => post({ id: req.id, kind: 'temp', path }),
        });
      } finally {
        disposeData(test); disposeData(other);
      }
    }
    case 'selfInfluence': {
      const model = need(fitted, 'call fit() before scoring');
      const ctl = new AbortController();
      controllers.set(req.id, ctl);
      const other = req.train ? datasetFromSpec(req.train) : undefined;
      const train = other ?? model.train;
      try {
        const { chunks, total } = scoringChunks(train, req.options.chunkSize ?? 256);
        return await streamSelfInfluence(model, chunks, {
          npyPath: req.options.npyPath, total, signal: ctl.signal,
          onProgress: (p) => post({ id: req.id, kind: 'progress', progress: p }),
          onTempFile: (path) => post({ id: req.id, kind: 'temp', path }),
        });
      } finally {
        disposeData(other);
      }
    }
    case 'perturbation': {
      const model = need(fitted, 'call fit() before scoring');
      const test = datasetFromSpec(req.test), train = datasetFromSpec(req.train);
      try {
        const r = perturbationInfluence(model, test, train, req.options.output ? { output: req.options.output } : {});
        try {
          return { data: r.dataSync(), shape: [...r.shape] };
        } finally {
          r.dispose();
        }
      } finally {
        disposeData(test); disposeData(train);
      }
    }
    case 'group': {
      const model = need(fitted, 'call fit() before scoring');
      const test = datasetFromSpec(req.test);
      try {
        const r = groupInfluence(model, test, req.groups, req.options.output ? { output: req.options.output } : {});
        try {
          return { data: r.dataSync(), shape: [...r.shape] };
        } finally {
          r.dispose();
        }
      } finally {
        disposeData(test);
      }
    }
    case 'leaveOneOut': {
      const s = need(state, 'not initialised');
      if (isChunkSource(s.train)) throw new InputError('leaveOneOut retrains on the training set, which needs it in memory: start the service with a dataset, not an npy chunk spec');
      const test = datasetFromSpec(req.test);
      try {
        return leaveOneOut(s.objective, s.theta, s.train, test, req.removed, req.options);
      } finally {
        disposeData(test);
      }
    }
    case 'pbrf': {
      const s = need(state, 'not initialised');
      if (isChunkSource(s.train)) throw new InputError('pbrf optimises over the training set, which needs it in memory: start the service with a dataset, not an npy chunk spec');
      const test = datasetFromSpec(req.test);
      try {
        return pbrf(s.objective, s.theta, s.train, test, req.removed, {
          ...req.options,
          onPoint: (info) => post({ id: req.id, kind: 'progress', progress: { phase: 'pbrf', done: req.removed.indexOf(info.index) + 1, total: req.removed.length } }),
        });
      } finally {
        disposeData(test);
      }
    }
  }
}

port.on('message', (req: Request) => {
  if (req.op === 'abort') {
    controllers.get(req.id)?.abort();
    return;
  }
  handle(req).then(
    (result) => post({ id: req.id, kind: 'result', result }),
    (err: unknown) => post({ id: req.id, kind: 'error', name: (err as Error)?.name ?? 'Error', message: String((err as Error)?.message ?? err) }),
  ).finally(() => controllers.delete(req.id));
});
