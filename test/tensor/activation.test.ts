import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { JsBackend } from '../../src/backend/js/index.js';
import { Random } from '../../src/tensor/random.js';
import { throwsType, testBackends } from '../helpers.js';

/**
 * tanhGrad(y, g) = g·(1 − y²) against a double evaluation written here, on lengths that exercise the
 * wasm kernel's 4-wide float32 and 2-wide float64 loops and their scalar tails. Tolerance: float64
 * 1e-15 relative (two roundings); float32 one rounding of the double result (6e-8 relative) plus
 * 1e-12 absolute for results near zero.
 */
for (const backend of testBackends()) {
  const s = suite(`tanhGrad [${backend}]`);
  const rng = new Random(11);
  for (const dtype of ['float32', 'float64'] as const) {
    for (const n of [1, 3, 4, 7, 130]) {
      s(`n = ${n} ${dtype}`, () => {
        c.setBackend(backend);
        c.tidy(() => {
          const y = c.tanh(c.tensor(Float64Array.from({ length: n }, () => 2 * rng.normal()), [n], dtype));
          const g = c.tensor(Float64Array.from({ length: n }, () => rng.normal()), [n], dtype);
          const yv = y.dataSync(), gv = g.dataSync(), got = c.tanhGrad(y, g).dataSync();
          for (let i = 0; i < n; i++) {
            const want = gv[i]! * (1 - yv[i]! * yv[i]!);
            const tol = dtype === 'float64' ? 1e-15 * Math.abs(want) + 1e-300 : 6e-8 * Math.abs(want) + 1e-12;
            assert.ok(Math.abs(got[i]! - want) <= tol, `[${i}] got ${got[i]}, want ${want}`);
          }
        });
      });
    }
  }
  s('the gradient of tanh equals 1 − tanh², via tanhGrad', () => {
    c.setBackend(backend);
    c.tidy(() => {
      const x = c.tensor([-3, -0.5, 0, 0.25, 2], [5], 'float64');
      const g = c.grad((z: c.Tensor) => c.sum(c.tanh(z)), x).dataSync();
      const t = x.dataSync().map(Math.tanh);
      t.forEach((ti, i) => assert.ok(Math.abs(g[i]! - (1 - ti * ti)) < 1e-15, `[${i}]`));
    });
  });
  s('bad inputs are typed errors', () => {
    c.setBackend(backend);
    c.tidy(() => {
      throwsType(() => c.tanhGrad(c.zeros([3]), c.zeros([4])), c.ShapeError, /same shape/);
      throwsType(() => c.tanhGrad(c.zeros([3], 'float32'), c.zeros([3], 'float64')), c.DTypeError, /dtype/);
      throwsType(() => c.tanhGrad(c.tensor([1], [1], 'int32'), c.tensor([1], [1], 'int32')), c.DTypeError, /int32/);
    });
  });
  s.run();
}

const fb = suite('tanhGrad on a backend without the fused kernel');
fb('composes g·(1 − y²) from square/sub/mul', () => {
  const plain = new JsBackend();
  (plain as { tanhGrad?: unknown }).tanhGrad = undefined;
  c.setBackend('js');
  c.tidy(() => {
    const y = c.empty([3], 'float64', plain), g = c.empty([3], 'float64', plain);
    plain.write(y.buffer, [0.5, -0.25, 0.9]);
    plain.write(g.buffer, [2, 3, -1]);
    const got = c.tanhGrad(y, g).dataSync();
    [2 * 0.75, 3 * (1 - 0.0625), -1 * (1 - 0.81)].forEach((w, i) => assert.ok(Math.abs(got[i]! - w) < 1e-15, `[${i}]`));
  });
});
fb.run();
