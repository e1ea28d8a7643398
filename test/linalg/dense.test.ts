import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { Random } from '../../src/tensor/random.js';
import { randn, relErr, testBackends } from '../helpers.js';
import { addToDiagonal, choleskyInPlace, diagonal } from '../../src/linalg/dense.js';

/** The tensor-level wrappers of the dense kernels (the kernels have their own tests). f64: 1e-12. */
for (const backend of testBackends()) {
  const s = suite(`linalg [${backend}]`);
  s.before(() => { c.setBackend(backend); });
  const rng = new Random(3);

  s('cholesky + choleskySolve + solveTriangular', () => {
    const m = randn(rng, [12, 12]);
    const a = c.add(c.matmul(m, m, { transB: true }), c.mul(c.eye(12, 'float64'), 12));
    const l = c.cholesky(a);
    assert.ok(relErr(c.matmul(l, l, { transB: true }).dataSync(), a.dataSync()) < 1e-13);
    const b = randn(rng, [12, 2]);
    const x = c.choleskySolve(l, b);
    assert.ok(relErr(c.matmul(a, x).dataSync(), b.dataSync()) < 1e-12);
    const y = c.solveTriangular(l, b, { lower: true });
    assert.ok(relErr(c.matmul(l, y).dataSync(), b.dataSync()) < 1e-12);
  });

  s('choleskyInPlace: the same factor as cholesky, in the matrix\'s own storage; a shared storage refused', () => {
    const rng = new Random(41);
    const m = randn(rng, [9, 9]);
    const a = c.add(c.matmul(m, m, { transB: true }), c.mul(c.eye(9, 'float64'), 9));
    const want = c.cholesky(a).dataSync();
    const own = c.add(a, 0);
    const l = choleskyInPlace(own);
    assert.ok(l === own);
    assert.equal(Array.from(l.dataSync()), Array.from(want));
    const shared = c.add(a, 0), view = c.reshape(shared, [81]);
    assert.throws(() => choleskyInPlace(shared), (e: unknown) => e instanceof c.InputError && /shares its storage/.test((e as Error).message));
    view.dispose();
    assert.throws(() => choleskyInPlace(c.neg(c.eye(3, 'float64'))), (e: unknown) => e instanceof c.NotPositiveDefiniteError);
  });

  s('cholesky names the failing pivot', () => {
    const a = c.tensor([[4, 2, 0], [2, 1, 0], [0, 0, 1]], [3, 3], 'float64');
    try {
      c.cholesky(a);
      assert.unreachable();
    } catch (e) {
      assert.ok(e instanceof c.NotPositiveDefiniteError);
      assert.is((e as c.NotPositiveDefiniteError).index, 1);
      assert.match((e as Error).message, /pivot 1/);
    }
  });

  s('eigh: reconstruction and known spectrum (second-difference matrix)', () => {
    const n = 10;
    const d = new Float64Array(n * n);
    for (let i = 0; i < n; i++) { d[i * n + i] = 2; if (i + 1 < n) { d[i * n + i + 1] = -1; d[(i + 1) * n + i] = -1; } }
    const a = c.tensor(d, [n, n], 'float64');
    const { values, vectors } = c.eigh(a);
    const want = Array.from({ length: n }, (_, k) => 2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)));
    assert.ok(relErr(values.dataSync(), want) < 1e-13);
    const rec = c.matmul(c.mul(vectors, c.reshape(values, [1, n])), vectors, { transB: true });
    assert.ok(relErr(rec.dataSync(), d) < 1e-13);
    assert.ok(relErr(c.eigvalsh(a).dataSync(), want) < 1e-13);
  });

  s('diagonal and addToDiagonal: the values of a dense read, a matrix left unchanged, float32 and float64', () => {
    for (const dtype of ['float32', 'float64'] as const) {
      const n = 7;
      const a = c.cast(randn(rng, [n, n]), dtype);
      const full = a.dataSync();
      assert.equal(Array.from(diagonal(a).dataSync()), Array.from({ length: n }, (_, i) => full[i * n + i]!));
      const shifted = addToDiagonal(a, 0.25);
      const want = Float64Array.from(full);
      for (let i = 0; i < n; i++) want[i * n + i] = dtype === 'float32' ? Math.fround(want[i * n + i]! + 0.25) : want[i * n + i]! + 0.25;
      assert.equal(Array.from(shifted.dataSync()), Array.from(want));
      assert.equal(Array.from(a.dataSync()), Array.from(full), 'the input is not modified');
    }
    assert.throws(() => diagonal(c.zeros([2, 3], 'float64')), (e: unknown) => e instanceof c.ShapeError);
    assert.throws(() => addToDiagonal(c.zeros([3], 'float64'), 1), (e: unknown) => e instanceof c.ShapeError);
  });

  s('bad input: non-square, NaN, int32, tracer', () => {
    assert.throws(() => c.cholesky(c.zeros([2, 3], 'float64')), (e: unknown) => e instanceof c.ShapeError);
    assert.throws(() => c.eigh(c.tensor([1, NaN, NaN, 1], [2, 2], 'float64')), (e: unknown) => e instanceof c.InputError);
    assert.throws(() => c.cholesky(c.tensor([1], [1, 1], 'int32')), (e: unknown) => e instanceof c.DTypeError);
    assert.throws(() => c.grad((x: c.Tensor) => c.sum(c.cholesky(c.reshape(x, [1, 1]))), c.tensor([2], [1], 'float64')),
      (e: unknown) => e instanceof c.DTypeError);
  });

  s.run();
}
