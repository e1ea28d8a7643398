import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { JsBackend } from '../../src/backend/js/index.js';
import { Random } from '../../src/tensor/random.js';
import { throwsType, testBackends } from '../helpers.js';

/**
 * The fused softmax / log-softmax / cross-entropy kernels against a plain double-precision
 * evaluation written here (independent of both backends), on odd shapes — including rows longer
 * than the wasm kernel's 512-column scratch chunk — and on hard rows (huge logits, −∞ entries, NaN).
 * Tolerances: float64 1e-13 absolute on values of order ≤ 10 (a handful of roundings in exp/log);
 * float32 6e-7 relative + 1e-7 absolute (one float32 rounding of a double result, plus the float32
 * rounding of the inputs, which both sides share).
 */
function reference(x: ArrayLike<number>, rows: number, cols: number): { sm: number[]; ls: number[] } {
  const sm: number[] = [], ls: number[] = [];
  for (let r = 0; r < rows; r++) {
    const row = Array.from({ length: cols }, (_, j) => x[r * cols + j]!);
    const m = Math.max(...row.filter((v) => !Number.isNaN(v)));
    const s = row.reduce((a, v) => a + Math.exp(v - m), 0);
    for (const v of row) {
      sm.push(Math.exp(v - m) / s);
      ls.push(v - m - Math.log(s));
    }
  }
  return { sm, ls };
}

function close(got: ArrayLike<number>, want: ArrayLike<number>, dtype: string, what: string): void {
  assert.is(got.length, want.length);
  for (let i = 0; i < want.length; i++) {
    const w = want[i]!, g = got[i]!;
    if (Number.isNaN(w)) { assert.ok(Number.isNaN(g), `${what}[${i}]: expected NaN, got ${g}`); continue; }
    if (g === w) continue; // exact, including ±∞
    const tol = dtype === 'float64' ? 1e-13 : 6e-7 * Math.abs(w) + 1e-7;
    assert.ok(Math.abs(g - w) <= tol, `${what}[${i}] (${dtype}): got ${g}, want ${w}`);
  }
}

for (const backend of testBackends()) {
  const s = suite(`fused softmax and cross-entropy [${backend}]`);
  const rng = new Random(7);

  for (const dtype of ['float32', 'float64'] as const) {
    for (const [rows, cols] of [[1, 1], [3, 10], [7, 5], [2, 517], [1024, 10]] as const) {
      s(`softmax, logSoftmax, crossEntropy ${rows}×${cols} ${dtype}`, () => {
        c.setBackend(backend);
        c.tidy(() => {
          const x = c.tensor(Float64Array.from({ length: rows * cols }, () => 3 * rng.normal()), [rows, cols], dtype);
          const xs = x.dataSync(); // the values after rounding to dtype
          const want = reference(xs, rows, cols);
          close(c.softmax(x).dataSync(), want.sm, dtype, 'softmax');
          close(c.logSoftmax(x).dataSync(), want.ls, dtype, 'logSoftmax');
          const labels = Int32Array.from({ length: rows }, () => rng.int(cols));
          const ce = c.softmaxCrossEntropy(x, c.tensor(labels, [rows], 'int32')).dataSync();
          close(ce, Array.from(labels, (l, r) => -want.ls[r * cols + l]!), dtype, 'crossEntropy');
        });
      });
    }
  }

  s('hard rows: huge logits, −∞ entries, a NaN row (NaN stays in its row)', () => {
    c.setBackend(backend);
    for (const dtype of ['float32', 'float64'] as const) {
      c.tidy(() => {
        const vals = [1e4, 1e4 - 1, -1e4, 0, -Infinity, 2, 1, NaN, 0.5, 3, 3, 3];
        const x = c.tensor(vals, [4, 3], dtype);
        const want = reference(x.dataSync(), 4, 3);
        close(c.softmax(x).dataSync(), want.sm, dtype, 'softmax');
        close(c.logSoftmax(x).dataSync(), want.ls, dtype, 'logSoftmax');
        const ce = c.softmaxCrossEntropy(x, c.tensor([1, 0, 2, 1], [4], 'int32')).dataSync();
        close(ce, [-want.ls[1]!, -want.ls[3]!, NaN, -want.ls[10]!], dtype, 'crossEntropy');
      });
    }
  });

  s('softmax along a leading axis, and cross-entropy loss equals −Σ onehot·logSoftmax', () => {
    c.setBackend(backend);
    c.tidy(() => {
      const x = c.tensor(Float64Array.from({ length: 24 }, () => rng.normal()), [2, 3, 4], 'float64');
      const viaT = c.transpose(c.softmax(c.transpose(x, [0, 2, 1])), [0, 2, 1]).dataSync();
      close(c.softmax(x, 1).dataSync(), viaT, 'float64', 'softmax axis 1');
      const z = c.tensor(Float64Array.from({ length: 15 }, () => rng.normal()), [5, 3], 'float64');
      const y = c.tensor([2, 0, 1, 1, 2], [5], 'int32');
      const composed = c.neg(c.sum(c.mul(c.logSoftmax(z), c.oneHot(y, 3, 'float64')), -1)).dataSync();
      close(c.crossEntropy(z, y, 'none').dataSync(), composed, 'float64', 'crossEntropy');
    });
  });

  s('bad inputs are typed errors', () => {
    c.setBackend(backend);
    c.tidy(() => {
      const z = c.zeros([3, 4], 'float32');
      throwsType(() => c.softmaxCrossEntropy(z, c.tensor([0, 4, 1], [3], 'int32')), c.InputError, /4.*\[0, 4\)/);
      throwsType(() => c.softmaxCrossEntropy(z, c.tensor([0, -1, 1], [3], 'int32')), c.InputError, /-1/);
      throwsType(() => c.softmaxCrossEntropy(z, c.tensor([0, 1, 1], [3], 'float32')), c.DTypeError, /int32/);
      throwsType(() => c.softmaxCrossEntropy(z, c.tensor([0, 1], [2], 'int32')), c.ShapeError, /3 rows/);
      throwsType(() => c.softmaxCrossEntropy(c.zeros([4], 'float32'), c.tensor([0], [1], 'int32')), c.ShapeError, /\[rows, classes\]/);
      throwsType(() => c.softmax(c.tensor([1, 2], [2], 'int32')), c.DTypeError, /int32/);
      throwsType(() => c.softmax(c.scalar(1)), c.ShapeError, /rank/);
    });
  });

  s.run();
}

const fb = suite('fused softmax: a backend without the kernels composes them');
fb('same values from max/exp/sum/log on a backend lacking Backend.softmax and Backend.crossEntropy', () => {
  const plain = new JsBackend();
  (plain as { softmax?: unknown }).softmax = undefined;
  (plain as { crossEntropy?: unknown }).crossEntropy = undefined;
  c.setBackend('js');
  c.tidy(() => {
    const vals = Float64Array.from({ length: 12 }, (_, i) => Math.sin(i) * 4);
    const x = c.empty([3, 4], 'float64', plain);
    plain.write(x.buffer, vals);
    const want = reference(vals, 3, 4);
    close(c.softmax(x).dataSync(), want.sm, 'float64', 'softmax');
    close(c.logSoftmax(x).dataSync(), want.ls, 'float64', 'logSoftmax');
    const y = c.empty([3], 'int32', plain);
    plain.write(y.buffer, [3, 0, 2]);
    close(c.softmaxCrossEntropy(x, y).dataSync(), [-want.ls[3]!, -want.ls[4]!, -want.ls[10]!], 'float64', 'crossEntropy');
  });
});
fb.run();
