import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as c from '../../src/index.js';
import { readNpy } from '../../src/io/npy.js';
import { randn, relErr, testBackends, throwsType } from '../helpers.js';
import { denseScores, smallProblem } from './problem.js';

/** Rejects with an error of `type` (and message matching `re`). */
async function rejectsType(p: Promise<unknown>, type: new (...a: any[]) => Error, re?: RegExp): Promise<void> {
  let caught: unknown;
  try { await p; } catch (err) { caught = err; }
  assert.instance(caught, type, `expected ${type.name}, got ${String(caught)}`);
  if (re) assert.match((caught as Error).message, re);
}

/** Irregular chunks from an async generator (sizes 7, 1, 11, 7, 1, 11, …). */
async function* irregular(data: c.Dataset): AsyncGenerator<c.Dataset> {
  const n = data.x.shape[0]!, sizes = [7, 1, 11];
  for (let start = 0, k = 0; start < n; k++) {
    const size = Math.min(sizes[k % 3]!, n - start);
    await new Promise((r) => setTimeout(r, 0));
    yield c.batchOf(data, start, size);
    start += size;
  }
}

for (const backend of testBackends()) {
  const s = suite(`streaming influence [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const { objective, theta, train, test, model, rng } = smallProblem();
  const N = 30, T = 4, P = model.numParams;
  const infl = c.InfluenceModel.fit(objective, theta, train, { solver: 'direct' });
  const dir = mkdtempSync(join(tmpdir(), 'curv-stream-'));

  s('scores streamed in irregular async chunks equal the in-memory matrix; progress counts up to total', async () => {
    const want = infl.influence(test).scores.dataSync();
    const seen: number[] = [];
    const r = await c.streamInfluence(infl, test, irregular(train), { total: N, onProgress: (p) => { if (p.phase === 'scoring') seen.push(p.done); } });
    assert.equal([r.nTest, r.nTrain], [T, N]);
    assert.ok(relErr(r.scores!, want) < 1e-12, `rel err ${relErr(r.scores!, want)}`);
    assert.equal(seen, [7, 8, 19, 26, 27, 30]);
    // A sync generator (chunked) gives the same.
    const r2 = await c.streamInfluence(infl, test, c.chunked(train, 8));
    assert.ok(relErr(r2.scores!, want) < 1e-12);
    // One chunk holding everything: the caller's tensors come back unfreed.
    const r3 = await c.streamInfluence(infl, test, c.chunked(train, 100));
    assert.ok(relErr(r3.scores!, want) < 1e-12);
    assert.is(train.x.shape[0], 30);
    assert.is(train.x.dataSync().length, 120);
  });

  s('output functions: logit, probability and a user function against per-point autodiff and dense H', async () => {
    const h = c.toDense(c.hessianOperator(objective, theta, train));
    const gTrain = objective.perSampleGradients(theta, train);
    const perPoint = (f: (z: c.Tensor) => c.Tensor) => c.concat(Array.from({ length: T }, (_, i) => c.reshape(
      c.grad((t: c.Tensor) => f(objective.model.apply(t, c.batchOf(test, i, 1).x)), theta), [1, P])), 0);
    const logit1 = perPoint((z) => c.sum(c.slice(z, [0, 1], [1, 1])));
    const prob2 = perPoint((z) => c.sum(c.slice(c.softmax(z, -1), [0, 2], [1, 1])));
    const a = await c.streamInfluence(infl, test, c.chunked(train, 9), { output: { logit: 1 } });
    assert.ok(relErr(a.scores!, denseScores(h, logit1, gTrain)) < 1e-9, 'logit');
    assert.is(a.output, 'logit[1]');
    const b = await c.streamInfluence(infl, test, c.chunked(train, 9), { output: { probability: 2 } });
    assert.ok(relErr(b.scores!, denseScores(h, prob2, gTrain)) < 1e-9, 'probability');
    const f = (z: c.Tensor) => c.reshape(c.slice(z, [0, 1], [z.shape[0]!, 1]), [z.shape[0]!]);
    const u = await c.streamInfluence(infl, test, c.chunked(train, 9), { output: f });
    assert.ok(relErr(u.scores!, a.scores!) < 1e-12, 'user function = logit');
    await rejectsType(c.streamInfluence(infl, test, c.chunked(train, 9), { output: (z: c.Tensor) => z }), c.ShapeError, /one scalar per example/);
    await rejectsType(c.streamInfluence(infl, test, c.chunked(train, 9), { output: { logit: 3 } }), c.InputError, /\[0, 3\)/);
    await rejectsType(c.streamInfluence(infl, test, c.chunked(train, 9), { output: { probability: -1 } }), c.InputError);
  });

  s('top-k from bounded heaps equals sorting the full rows; keepScores: false holds no matrix', async () => {
    const full = infl.influence(test).scores.dataSync();
    const r = await c.streamInfluence(infl, test, c.chunked(train, 4), { topK: 5, keepScores: false });
    assert.is(r.scores, undefined);
    for (let i = 0; i < T; i++) {
      const row = Array.from(full.subarray(i * N, (i + 1) * N), (v, j) => ({ j, v })).sort((p, q) => p.v - q.v);
      assert.equal(r.topK![i]!.helpful.map((e) => e.index), row.slice(0, 5).map((e) => e.j));
      assert.equal(r.topK![i]!.harmful.map((e) => e.index), row.slice(-5).reverse().map((e) => e.j));
      assert.ok(Math.abs(r.topK![i]!.helpful[0]!.score - row[0]!.v) < 1e-12);
    }
  });

  s('.npy written incrementally equals the transposed matrix, with and without a known total', async () => {
    const want = infl.influence(test).scores.dataSync();
    for (const total of [N, undefined]) {
      const path = join(dir, `scores-${total ?? 'open'}.npy`);
      await c.streamInfluence(infl, test, c.chunked(train, 7), { total, npyPath: path, keepScores: false });
      const raw = readNpy(path);
      assert.equal(raw.shape, [N, T]);
      for (let j = 0; j < N; j++) for (let i = 0; i < T; i++) assert.is(raw.data[j * T + i], want[i * N + j]);
    }
    const self = join(dir, 'self.npy');
    const si = await c.streamSelfInfluence(infl, c.chunked(train, 6), { npyPath: self });
    assert.ok(relErr(si.scores, infl.selfInfluence().scores.dataSync()) < 1e-12);
    assert.equal(Array.from(readNpy(self).data as Float64Array), Array.from(si.scores));
  });

  s('cancellation: CancelledError, and neither the .npy nor its temporary file is left', async () => {
    const path = join(dir, 'cancelled.npy');
    const ctl = new AbortController();
    await rejectsType(c.streamInfluence(infl, test, c.chunked(train, 5), {
      npyPath: path, signal: ctl.signal, onProgress: (p) => { if (p.done >= 10) ctl.abort(); },
    }), c.CancelledError);
    assert.not.ok(existsSync(path));
    assert.equal(readdirSync(dir).filter((f) => f.includes('cancelled')), []);
    await rejectsType(c.streamSelfInfluence(infl, c.chunked(train, 5), { signal: AbortSignal.abort() }), c.CancelledError);
    // A failure mid-stream (bad chunk) also removes the partial file.
    async function* bad() { yield c.batchOf(train, 0, 5); yield { x: randn(rng, [3, 5]), y: c.tensor([0, 1, 2], [3], 'int32') }; }
    await rejectsType(c.streamInfluence(infl, test, bad(), { npyPath: path }), c.ShapeError, /chunk 1/);
    assert.not.ok(existsSync(path));
    assert.equal(readdirSync(dir).filter((f) => f.includes('cancelled')), []);
  });

  s('bad input: labels out of range, NaN, empty stream, wrong total, not iterable — typed errors', async () => {
    const labels = [{ x: c.batchOf(train, 0, 3).x, y: c.tensor([0, 5, 1], [3], 'int32') }];
    await rejectsType(c.streamInfluence(infl, test, labels), c.InputError, /outside \[0, 3\)/);
    const nan = [{ x: c.tensor(Float64Array.from({ length: 8 }, (_, i) => (i === 3 ? NaN : 1)), [2, 4], 'float64'), y: c.tensor([0, 1], [2], 'int32') }];
    await rejectsType(c.streamInfluence(infl, test, nan), c.InputError, /NaN/);
    await rejectsType(c.streamInfluence(infl, test, []), c.InputError, /no training points/);
    await rejectsType(c.streamInfluence(infl, test, c.chunked(train, 10), { total: 20 }), c.ShapeError, /total/);
    await rejectsType(c.streamInfluence(infl, test, c.chunked(train, 10), { total: 40 }), c.ShapeError, /held 30/);
    await rejectsType(c.streamInfluence(infl, test, 42 as unknown as c.DataChunks), c.InputError, /Iterable/);
    await rejectsType(c.streamInfluence(infl, { x: randn(rng, [2, 3]), y: c.tensor([0, 1], [2], 'int32') }, c.chunked(train, 10)), c.ShapeError);
    throwsType(() => c.chunked(train, 0).next(), c.InputError);
    // The model still answers.
    const r = await c.streamInfluence(infl, test, c.chunked(train, 10));
    assert.is(r.nTrain, N);
  });

  s.run();
}
