import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import * as c from '../../src/index.js';
import { jvp, vjp, vjpAtTaps } from '../../src/autodiff/index.js';
import { Random } from '../../src/tensor/random.js';
import { countKernelCalls, randn, relErr } from '../helpers.js';

const rel = (a: c.Tensor, b: c.Tensor): number => relErr(a.dataSync(), b.dataSync());

/**
 * vjpAtTaps (src/autodiff/api.ts): the pullback gives each tapped value's cotangent, the same as
 * vjp of the rest of the function with respect to that value (≤ 1e-12 relative, float64: the same
 * products in the same order). A tapped concrete value becomes a leaf and a value the trace
 * already follows is kept as it is — neither costs a pass over it (no zero tensor, no add).
 */
const S = suite('vjpAtTaps');

const rng = new Random(5);
const x = randn(rng, [6, 4]), w1 = randn(rng, [4, 5]), w2 = randn(rng, [5, 3]);
const head = (h1: c.Tensor): c.Tensor => c.matmul(c.tanh(h1), w2);
const tail = (h2: c.Tensor): c.Tensor => c.sum(c.square(h2));

S('the cotangent of every tap equals vjp with respect to that value; concrete and traced taps cost no pass', () => {
  const h1 = c.matmul(x, w1);
  const { value: taps, calls } = countKernelCalls(['fill', 'binary'], () => vjpAtTaps((tap) => tail(tap(head(tap(h1))))));
  assert.is(calls, 0, 'the forward makes no fill or add for its taps (the square and sum are unary and reduce kernels)');
  const [g1, g2] = taps.pullback(c.onesLike(taps.value));
  const want2 = vjp(tail, head(h1)).pullback(c.scalar(1, 'float64'));
  const want1 = vjp((t: c.Tensor) => tail(head(t)), h1).pullback(c.scalar(1, 'float64'));
  assert.ok(rel(g2!, want2) <= 1e-12, 'second tap (a traced value)');
  assert.ok(rel(g1!, want1) <= 1e-12, 'first tap (a concrete value)');
  assert.ok(rel(taps.value, tail(head(h1))) === 0, 'the value');
});

S('the same value tapped twice, and a value of an outer transformation, keep their meaning', () => {
  const h1 = c.matmul(x, w1);
  // Twice: the second tap adds a zero leaf, so each tap's cotangent is the one flowing through it.
  const twice = vjpAtTaps((tap) => {
    const t = tap(h1);
    return c.add(tail(head(t)), tail(head(tap(t))));
  });
  const [a, b] = twice.pullback(c.scalar(1, 'float64'));
  const single = vjp((t: c.Tensor) => tail(head(t)), h1).pullback(c.scalar(1, 'float64'));
  assert.ok(rel(b!, single) <= 1e-12, 'the inner tap sees only the path through it');
  assert.ok(rel(a!, c.mul(single, 2)) <= 1e-12, 'the outer tap sees both paths');
  // Under jvp (w1 varies): the tapped value carries a tangent; the pullback's tangent is the
  // derivative of the cotangent along it, checked against a central difference (float64, step 1e-6: ≤ 1e-6 relative).
  const v = randn(rng, [4, 5]);
  const pull = (w: c.Tensor): c.Tensor => {
    const r = vjpAtTaps((tap) => tail(head(tap(c.matmul(x, w)))));
    return r.pullback(c.onesLike(r.value))[0]!;
  };
  const { tangent } = jvp(pull, w1, v);
  const eps = 1e-6;
  const fd = c.div(c.sub(pull(c.add(w1, c.mul(v, eps))), pull(c.sub(w1, c.mul(v, eps)))), 2 * eps);
  assert.ok(rel(tangent, fd) <= 1e-6, `tangent of the pullback: ${rel(tangent, fd)}`);
});

S.run();
