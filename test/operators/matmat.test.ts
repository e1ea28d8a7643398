import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends } from '../helpers.js';
import { rowsPerPass } from '../../src/operators/batched.js';

/**
 * matmat(V) of the curvature operators equals k matvecs, column by column. Tolerance 1e-12
 * relative in float64: the same per-batch products, only stacked (exact algebra up to the order
 * of the final sums).
 */

const ACTS = ['tanh', 'sigmoid', 'relu', 'gelu', 'softplus'] as const;

function problem(widths: number[], act: string, seed: number) {
  const rng = new Random(seed);
  const model = c.Sequential.mlp(widths, act);
  const objective = new c.Objective(model, c.crossEntropyLoss, 1e-2);
  const n = 13;
  const train = {
    x: c.keep(randn(rng, [n, widths[0]!])),
    y: c.keep(c.tensor(Int32Array.from({ length: n }, () => rng.int(widths[widths.length - 1]!)), [n], 'int32')),
  };
  const theta = c.keep(model.init({ seed, dtype: 'float64' }));
  return { model, objective, theta, train, rng };
}

for (const backend of testBackends()) {
  const s = suite(`curvature matmat equals k matvecs [${backend}]`);
  s.before(() => { c.setBackend(backend); });

  const cases: [string, number[], string][] = [
    ...ACTS.map((a): [string, number[], string] => [`MLP ${a}`, [4, 5, 3], a]),
    ['logistic regression', [4, 3], 'tanh'],
  ];
  for (const [name, widths, act] of cases) {
    s(`${name}: exact and Gauss–Newton, k = 1, 3, 8, damping, in memory and chunked`, () => {
      const { objective, theta, train, rng } = problem(widths, act, 11);
      const P = theta.size;
      const chunks = c.datasetChunks(train, [5, 1, 7]);
      for (const make of [c.hessianOperator, c.gaussNewtonOperator]) {
        for (const data of [train, chunks]) {
          const op = make(objective, theta, data, { damping: 0.2, batchSize: 4 });
          for (const k of [1, 3, 8]) {
            c.tidy(() => {
              const V = randn(rng, [P, k]);
              const got = op.matmat!(V);
              assert.equal(got.shape, [P, k]);
              const want = c.concat(Array.from({ length: k }, (_, j) =>
                c.reshape(op.matvec(c.reshape(c.slice(V, [0, j], [P, 1]), [P])), [P, 1])), 1);
              const err = relErr(got.dataSync(), want.dataSync());
              assert.ok(err <= 1e-12, `${make.name} k=${k}: rel ${err}`);
              // The base (no shift) too, and the dense build through applyToColumns.
              const b = c.applyToColumns(op.base, V);
              const bw = c.sub(want, c.mul(V, op.shift));
              assert.ok(relErr(b.dataSync(), bw.dataSync()) <= 1e-12, 'base matmat');
            });
          }
        }
      }
    });
  }

  s('toDense goes through matmat and counts every product', () => {
    const { objective, theta, train } = problem([4, 5, 3], 'tanh', 2);
    let products = 0;
    const op = c.hessianOperator(objective, theta, train, { onProduct: () => { products++; } });
    let calls = 0;
    const spy = { ...op, matvec: op.matvec, matmat: (v: c.Tensor) => { calls++; return op.matmat!(v); } };
    const d = c.toDense(spy, 16);
    assert.equal(d.shape, [theta.size, theta.size]);
    assert.equal(calls, Math.ceil(theta.size / 16));
    assert.equal(products, theta.size);
    d.dispose();
  });

  s('reverse-over-reverse mode (no batched product): matmat goes column by column, equal to k matvecs', () => {
    const { objective, theta, train, rng } = problem([4, 5, 3], 'gelu', 5);
    const op = c.hessianOperator(objective, theta, train, { mode: 'reverse-over-reverse', damping: 0.1, batchSize: 5 });
    const fo = c.hessianOperator(objective, theta, train, { damping: 0.1, batchSize: 5 });
    c.tidy(() => {
      const P = theta.size, V = randn(rng, [P, 3]);
      const want = c.concat([0, 1, 2].map((j) => c.reshape(op.matvec(c.reshape(c.slice(V, [0, j], [P, 1]), [P])), [P, 1])), 1);
      assert.ok(relErr(op.matmat!(V).dataSync(), want.dataSync()) <= 1e-12);
      assert.ok(relErr(fo.matmat!(V).dataSync(), want.dataSync()) <= 1e-10, 'modes agree');
    });
  });

  s('matmat rejects a wrong shape', () => {
    const { objective, theta, train } = problem([4, 3], 'tanh', 3);
    const op = c.gaussNewtonOperator(objective, theta, train);
    assert.throws(() => op.matmat!(c.zeros([theta.size + 1, 2], 'float64')));
  });

  s.run();
}

const rows = suite('rows per pass (operators/batched.ts rowsPerPass)');
rows('the tangent budget (80 MB) lowers the rows per pass and evens them out over n; below it the batch size stands', () => {
  // The W-HVP MLP (522 values per example) at k = 32: 80 MB hold 1,255 float32 rows, 627 float64.
  assert.is(rowsPerPass(1024, 32, 522, 4, 1024), 1024, 'within the budget: the batch size');
  assert.is(rowsPerPass(4096, 32, 522, 4, 4096), 1024, 'float32: 4 passes of 1,024, not 3 × 1,255 + 331');
  assert.is(rowsPerPass(1024, 32, 522, 8, 1024), 512, 'float64: 2 passes of 512, not 627 + 397');
  assert.is(rowsPerPass(1024, 32, null, 8, 1024), 1024, 'unknown values per example: the batch size');
  assert.is(rowsPerPass(1024, 1e9, 522, 8, 1024), 1, 'at least one row');
  for (const [b, k, v, bytes, n] of [[5000, 64, 42, 8, 5000], [4096, 7, 1000, 4, 60000], [300, 3, 9000, 8, 1001]] as const) {
    const r = rowsPerPass(b, k, v, bytes, n);
    const limit = Math.min(b, Math.floor((80 << 20) / (bytes * k * v)));
    assert.ok(r <= limit && Math.ceil(n / r) === Math.ceil(n / limit), `${[b, k, v, bytes, n]}: ${r} rows, the passes the limit ${limit} implies`);
  }
});
rows.run();
