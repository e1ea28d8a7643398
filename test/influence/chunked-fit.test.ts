import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as c from '../../src/index.js';
import { encodeNpy, readNpyRows, writeNpy } from '../../src/io/npy.js';
import { relErr, testBackends, throwsType } from '../helpers.js';
import { smallProblem } from './problem.js';

const dir = mkdtempSync(join(tmpdir(), 'curv-chunk-fit-'));

/** The training set written as X.npy (float64) and y.npy (int64 labels, as numpy writes them). */
function writeTrain(train: c.Dataset, tag: string): { x: string; y: string } {
  const x = join(dir, `${tag}-x.npy`), y = join(dir, `${tag}-y.npy`);
  writeNpy(x, { data: Float64Array.from(train.x.dataSync()), shape: [...train.x.shape], dtype: 'float64' });
  writeNpy(y, { data: BigInt64Array.from(Array.from(train.y.dataSync(), (v) => BigInt(v))), shape: [...train.y.shape], dtype: 'int64' });
  return { x, y };
}

for (const backend of testBackends()) {
  const s = suite(`influence fitted on streamed chunks [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const { objective, theta, train, test, model } = smallProblem();
  const chunks = c.datasetChunks(train, [7, 1, 11, 2, 9]);

  // [solver, options, tolerance, also the exact Hessian and self-influence (slower)]
  const cases: [c.SolverName, c.SolverOptions, number, boolean][] = [
    ['direct', {}, 1e-10, true],
    ['cg', { rtol: 1e-12, maxIter: 100 }, 1e-8, true],
    ['block-cg', { rtol: 1e-12, maxIter: 100 }, 1e-8, false],
    ['cg', { rtol: 1e-12, maxIter: 100, preconditioner: 'jacobi', probes: 10 }, 1e-8, false],
    ['arnoldi', { rank: 8 }, 1e-8, false],
    ['nystrom', { rank: 8 }, 1e-8, false],
    ['diagonal', { probes: 10 }, 1e-10, false],
    ['neumann', { maxIter: 10 }, 1e-10, false],
    ['datainf', {}, 1e-10, false],
  ];
  for (const [solver, solverOptions, tol, full] of cases) {
    s(`${solver}${solverOptions.preconditioner ? ' + ' + String(solverOptions.preconditioner) : ''}: fit on irregular chunks = fit in memory (scores${full ? ', self-influence' : ''})`, () => {
      for (const hessian of full ? ['exact', 'gauss-newton'] as const : ['gauss-newton'] as const) {
        const opts: c.InfluenceOptions = { hessian, solver, solverOptions: { seed: 3, ...solverOptions }, damping: 0.05, batchSize: 8 };
        const mem = c.InfluenceModel.fit(objective, theta, train, opts);
        const str = c.InfluenceModel.fit(objective, theta, chunks, opts);
        const want = mem.influence(test).scores.dataSync(), got = str.influence(test).scores.dataSync();
        assert.ok(relErr(got, want) < tol, `${hessian}: rel ${relErr(got, want)}`);
        if (full) {
          const selfWant = mem.selfInfluence().scores.dataSync(), selfGot = str.selfInfluence().scores.dataSync();
          assert.is(selfGot.length, 30);
          assert.ok(relErr(selfGot, selfWant) < tol, `${hessian} self: rel ${relErr(selfGot, selfWant)}`);
        }
        mem.dispose(); str.dispose();
      }
    });
  }

  s('lissa: a one-chunk source with |B| = N reproduces in-memory LiSSA; irregular chunks converge near the direct solve', () => {
    // σ = 20 > λ_max, λ = 0.5 + weight decay: 1000 steps contract the error by (1 − 0.51/20)^1000 < 1e-11.
    const lissa = { solver: 'lissa' as const, damping: 0.5, solverOptions: { seed: 1, scale: 20, depth: 1000, batchSize: 30, repeats: 1 } };
    const mem = c.InfluenceModel.fit(objective, theta, train, lissa);
    const one = c.InfluenceModel.fit(objective, theta, c.datasetChunks(train, 30), lissa);
    const want = mem.influence(test).scores.dataSync();
    assert.ok(relErr(one.influence(test).scores.dataSync(), want) < 1e-10);
    const direct = c.InfluenceModel.fit(objective, theta, train, { damping: 0.5 }).influence(test).scores.dataSync();
    assert.ok(relErr(want, direct) < 1e-8, `lissa (full batches) vs direct ${relErr(want, direct)}`);
    // Minibatches drawn within chunks: a noisy but unbiased estimate; averaged over repeats it
    // lands near the direct solve (loose bound: sampling noise, not a bias, is what remains).
    const noisy = c.InfluenceModel.fit(objective, theta, chunks, { ...lissa, solverOptions: { seed: 2, scale: 20, depth: 1000, batchSize: 8, repeats: 4 } });
    const e = relErr(noisy.influence(test).scores.dataSync(), direct);
    assert.ok(e < 0.35, `lissa over chunks vs direct: ${e}`);
  });

  s('npyChunkSource: the training set read lazily from .npy files fits and scores like in memory', () => {
    const files = writeTrain(train, backend);
    const source = c.npyChunkSource(files.x, files.y, 7);
    assert.is(source.size, 30);
    const opts: c.InfluenceOptions = { hessian: 'gauss-newton', solver: 'cg', solverOptions: { rtol: 1e-12, maxIter: 400 }, damping: 0.05, batchSize: 5 };
    const mem = c.InfluenceModel.fit(objective, theta, train, opts);
    const str = c.InfluenceModel.fit(objective, theta, source, opts);
    assert.ok(relErr(str.influence(test).scores.dataSync(), mem.influence(test).scores.dataSync()) < 1e-8);
    assert.ok(relErr(str.selfInfluence().scores.dataSync(), mem.selfInfluence().scores.dataSync()) < 1e-8);
    const groups = [[0, 8, 29], [7], [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]];
    const gw = c.groupInfluence(mem, test, groups).dataSync(), gg = c.groupInfluence(str, test, groups).dataSync();
    assert.ok(relErr(gg, gw) < 1e-8, `group ${relErr(gg, gw)}`);
    // float32 inputs from the same files.
    const f32 = c.npyChunkSource(files.x, files.y, 7, { dtype: 'float32' });
    const first = f32.chunk!(4);
    assert.is(first.x.dtype, 'float32');
    assert.equal(first.x.shape, [2, 4]);
    assert.equal(Array.from(first.y.dataSync()), Array.from(train.y.dataSync()).slice(28, 30));
  });

  s('readNpyRows reads row ranges; bad ranges, fortran files and bad sources are typed errors', () => {
    const files = writeTrain(train, `${backend}-rows`);
    const r = readNpyRows(files.x, 3, 5);
    assert.equal(r.shape, [5, 4]);
    assert.equal(Array.from(r.data as Float64Array), Array.from(train.x.dataSync()).slice(12, 32));
    throwsType(() => readNpyRows(files.x, 28, 3), c.InputError, /rows \[28, 31\) are outside \[0, 30\)/);
    const fortran = join(dir, 'fortran.npy');
    writeFileSync(fortran, Buffer.from('k05VTVBZAQB2AHsnZGVzY3InOiAnPGk0JywgJ2ZvcnRyYW5fb3JkZXInOiBUcnVlLCAnc2hhcGUnOiAoMiwgMywgNCksIH0gICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgICAgIAoAAAAADAAAAAQAAAAQAAAACAAAABQAAAABAAAADQAAAAUAAAARAAAACQAAABUAAAACAAAADgAAAAYAAAASAAAACgAAABYAAAADAAAADwAAAAcAAAATAAAACwAAABcAAAA=', 'base64'));
    throwsType(() => readNpyRows(fortran, 0, 1), c.InputError, /fortran_order/);
    const truncated = join(dir, 'truncated.npy');
    const bytes = encodeNpy({ data: new Float64Array(12), shape: [3, 4], dtype: 'float64' });
    writeFileSync(truncated, bytes.subarray(0, bytes.length - 8));
    throwsType(() => c.npyChunkSource(truncated, files.y, 2), c.InputError, /needs 96 data bytes, file has 88/);
    throwsType(() => c.npyChunkSource(join(dir, 'missing.npy'), files.y, 2), c.InputError, /not found/);
    throwsType(() => c.npyChunkSource(files.x, files.y, 0), c.InputError, /chunkRows/);
    const short = join(dir, 'short-y.npy');
    writeNpy(short, { data: new Int32Array(29), shape: [29], dtype: 'int32' });
    throwsType(() => c.npyChunkSource(files.x, short, 4), c.ShapeError, /30 rows.*29/);
    // A model with other input width: the fit names the chunk.
    const wide = c.Sequential.mlp([5, 3], 'tanh');
    throwsType(() => c.InfluenceModel.fit(new c.Objective(wide, c.crossEntropyLoss), wide.init({ dtype: 'float64' }), c.npyChunkSource(files.x, files.y, 7)), c.ShapeError, /chunk 0.*4 features/);
    throwsType(() => c.InfluenceModel.fit(objective, theta, c.arrayChunkSource([])), c.InputError, /no chunks/);
    throwsType(() => c.InfluenceModel.fit(objective, theta, { chunks: () => [train], size: 10 }), c.InputError, /declares size 10/);
    assert.ok(model.numParams > 0);
  });

  s.run();
}
