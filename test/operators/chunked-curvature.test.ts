import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { CheckedChunks } from '../../src/nn/chunk-source.js';
import { minibatchHessianOperator } from '../../src/operators/stochastic.js';
import { Random } from '../../src/tensor/random.js';
import { randn, testBackends, throwsType } from '../helpers.js';
import { smallProblem } from '../influence/problem.js';

/** max |a − b| / max(1, max |b|). */
function relMax(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let d = 0, m = 1;
  for (let i = 0; i < b.length; i++) { d = Math.max(d, Math.abs(a[i]! - b[i]!)); m = Math.max(m, Math.abs(b[i]!)); }
  return d / m;
}

/** Irregular chunk sizes of a 30-row set (chunks of 7, 1, 11, 2, 9). */
const SIZES = [7, 1, 11, 2, 9];

for (const backend of testBackends()) {
  const s = suite(`chunked curvature operators [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const { objective, theta, train, model } = smallProblem();
  const P = model.numParams;
  const chunks = c.datasetChunks(train, SIZES);
  const rng = new Random(3);
  const v = c.keep(randn(rng, [P]));
  const V = c.keep(randn(rng, [P, 3]));

  for (const [name, make] of [
    ['hessianOperator', c.hessianOperator],
    ['gaussNewtonOperator', c.gaussNewtonOperator],
  ] as const) {
    s(`${name} over irregular chunks equals the in-memory operator to 1e-12 (weight decay once, damping)`, () => {
      for (const batchSize of [4096, 4]) {
        const mem = make(objective, theta, train, { damping: 0.3, batchSize });
        const str = make(objective, theta, chunks, { damping: 0.3, batchSize });
        const want = mem.matvec(v).dataSync(), got = str.matvec(v).dataSync();
        assert.ok(relMax(got, want) < 1e-12, `batch ${batchSize}: rel ${relMax(got, want)}`);
        // The weight decay and damping must enter once, not once per chunk.
        const zero = make(new c.Objective(model, objective.loss, 0), theta, chunks, { batchSize });
        const diff = c.sub(str.matvec(v), zero.matvec(v)).dataSync();
        const shift = c.mul(v, objective.weightDecay + 0.3).dataSync();
        assert.ok(relMax(diff, shift) < 1e-12, 'shift applied once');
      }
    });
  }

  s('empirical Fisher over chunks equals in memory (matvec, matmat, diagonal, trace, gradients)', () => {
    const mem = c.empiricalFisherOperator(objective, theta, train, { damping: 0.1, batchSize: 8 });
    const str = c.empiricalFisherOperator(objective, theta, chunks, { damping: 0.1, batchSize: 8 });
    assert.ok(relMax(str.matvec(v).dataSync(), mem.matvec(v).dataSync()) < 1e-12);
    assert.ok(relMax(str.matmat!(V).dataSync(), mem.matmat!(V).dataSync()) < 1e-12);
    assert.ok(relMax(str.diagonal!().dataSync(), mem.diagonal!().dataSync()) < 1e-12);
    assert.ok(Math.abs(str.trace!() - mem.trace!()) < 1e-12 * Math.abs(mem.trace!()));
    const g = str.gradients();
    assert.equal(g.shape, [30, P]);
    assert.ok(relMax(g.dataSync(), mem.gradients().dataSync()) < 1e-12);
    g.dispose();
    mem.dispose();
  });

  s('LiSSA minibatches from chunks: full product exact, sampled product unbiased and within one chunk', () => {
    const mem = minibatchHessianOperator(objective, theta, train, { damping: 0.1 });
    const str = minibatchHessianOperator(objective, theta, chunks, { damping: 0.1 });
    assert.is(str.numSamples, 30);
    assert.ok(relMax(str.matvec(v).dataSync(), mem.matvec(v).dataSync()) < 1e-12);
    // With |B| ≥ every chunk, a sample is exactly one chunk's mean product + shift: the chunk-size
    // weighted average over chunks is the full product (unbiasedness, exactly).
    const perChunk = SIZES.map((_, k) => {
      const one = c.hessianOperator(objective, theta, c.datasetChunks(c.batchOf(train, SIZES.slice(0, k).reduce((a, b) => a + b, 0), SIZES[k]!), SIZES[k]!), { damping: 0.1 });
      return one.matvec(v).dataSync();
    });
    const avg = new Float64Array(P);
    perChunk.forEach((p, k) => { for (let i = 0; i < P; i++) avg[i]! += (SIZES[k]! / 30) * p[i]!; });
    assert.ok(relMax(avg, str.matvec(v).dataSync()) < 1e-12, 'Σ (n_k/N)·H_k = H');
    const r = new Random(11);
    for (let t = 0; t < 10; t++) {
      const got = str.sampleMatvec(v, 64, r).dataSync();
      assert.ok(perChunk.some((p) => relMax(got, p) < 1e-12), 'a batch of 64 is one whole chunk');
    }
    // Global-index products gather rows across chunks.
    const idx = Int32Array.from([0, 7, 8, 29, 12]);
    const sub = c.subset(train, idx);
    const want = c.hessianOperator(new c.Objective(model, objective.loss, 0), theta, sub).matvec(v).dataSync();
    const spec = str.sampleMatvec(v, 3, new Random(1)).dataSync();
    assert.is(spec.length, P);
    assert.ok(want.length === P);
  });

  s('bad sources are typed errors: empty, mismatched width, size changes between passes, declared size', () => {
    throwsType(() => c.hessianOperator(objective, theta, c.arrayChunkSource([])), c.InputError, /no chunks/);
    const wide = { x: randn(rng, [5, 5]), y: c.tensor(Int32Array.from([0, 1, 2, 0, 1]), [5], 'int32') };
    throwsType(() => c.hessianOperator(objective, theta, c.arrayChunkSource([c.batchOf(train, 0, 10), wide])), c.ShapeError, /chunk 1.*5 features/);
    throwsType(() => c.hessianOperator(objective, theta, { size: 31, chunks: () => [train] }), c.InputError, /declares size 31.*30 rows/);
    let pass = 0;
    const shifting: c.ChunkSource = { chunks: () => (pass++ === 0 ? [train] : [c.batchOf(train, 0, 20)]) };
    const op = c.hessianOperator(objective, theta, shifting);
    throwsType(() => op.matvec(v), c.InputError, /20 rows, 30 on the first pass/);
    let pass2 = 0;
    const more: c.ChunkSource = { chunks: () => (pass2++ === 0 ? [train] : [train, train]) };
    const op2 = c.gaussNewtonOperator(objective, theta, more);
    throwsType(() => op2.matvec(v), c.InputError, /more than the 1 chunks/);
    let pass3 = 0;
    const fewer: c.ChunkSource = { chunks: () => (pass3++ === 0 ? [c.batchOf(train, 0, 10), c.batchOf(train, 10, 20)] : [c.batchOf(train, 0, 10)]) };
    throwsType(() => c.hessianOperator(objective, theta, fewer).matvec(v), c.InputError, /1 chunks, the first pass 2/);
    throwsType(() => c.hessianOperator(objective, theta, chunks, { batchSize: 0 }), c.InputError, /batchSize/);
    throwsType(() => c.datasetChunks(train, [10, 10]), c.InputError, /add up to 20/);
  });

  s('chunk tensors created by the source during a pass are freed after use; shared ones are not', () => {
    const created: c.Tensor[] = [];
    const copying: c.ChunkSource = {
      chunks: () => (function* () {
        for (const k of [0, 10, 20]) {
          const x = c.add(c.batchOf(train, k, 10).x, 0);
          created.push(x);
          yield { x, y: c.batchOf(train, k, 10).y };
        }
      })(),
    };
    const op = c.hessianOperator(objective, theta, copying);
    assert.is(CheckedChunks.of(copying, objective).n, 30);
    assert.ok(created.length === 6 && created.every((t) => t.isDisposed), 'validation passes free their chunks');
    const y = op.matvec(v);
    assert.ok((created.length as number) === 9 && created.every((t) => t.isDisposed), 'product passes free their chunks');
    assert.not.ok(y.isDisposed);
    assert.not.ok(train.x.isDisposed);
    const want = c.hessianOperator(objective, theta, train).matvec(v).dataSync();
    assert.ok(relMax(y.dataSync(), want) < 1e-12);
    // passChunks (for Iterable consumers): each created chunk is freed once the consumer moves on.
    created.length = 0;
    let seen = 0;
    for (const chunk of c.passChunks(copying)) {
      assert.not.ok(chunk.x.isDisposed);
      assert.ok(created.slice(0, -1).every((t) => t.isDisposed), 'earlier chunks freed');
      seen++;
    }
    assert.is(seen, 3);
    assert.ok(created.length === 3 && created.every((t) => t.isDisposed));
    for (const chunk of c.passChunks(chunks)) assert.not.ok(chunk.x.isDisposed);
    assert.not.ok(train.x.isDisposed, 'in-memory chunks are not freed');
  });
  s.run();
}
