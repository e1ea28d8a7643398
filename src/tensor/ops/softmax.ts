import { DTypeError, ShapeError } from '../../errors.js';
import { bind, definePrimitive } from '../primitive.js';
import { empty, type Tensor } from '../tensor.js';
import { backendOf, fmt, normalizeAxis, requireFloat } from '../util.js';
import { exp, log, mul, mulAdd, neg, stopGradient, sub } from './elementwise.js';
import { checkLabels } from '../../backend/checks.js';
import { gather } from './indexing.js';
import { reshape } from './shape.js';
import { kernels } from '../kernels.js';
import { max, sum } from './reduce.js';

/**
 * softmax / log-softmax along the last axis as one primitive (one fused kernel per row, where the
 * backend has one: Backend.softmax), and the cross-entropy with integer labels likewise. Their
 * derivative rules (src/autodiff/rules/softmax.ts) are written with these primitives, so every
 * order of derivative is exact and costs a few fused passes instead of a chain of elementwise ops.
 */
export interface SoftmaxParams { log: boolean }

export const softmaxPrimitive = definePrimitive<SoftmaxParams>('softmax', ([x], { log: isLog }) => {
  const cols = x!.shape[x!.rank - 1]!;
  const rows = cols === 0 ? 0 : x!.size / cols;
  const backend = x!.backend;
  if (!kernels(backend).native('softmax', [x!.dtype, x!.dtype])) return composedSoftmax(x!, isLog);
  const out = empty(x!.shape, x!.dtype, backend);
  backend.softmax!(x!.buffer, rows, cols, out.buffer, isLog);
  return out;
});

/** The same values from reduce/elementwise kernels, for a backend without Backend.softmax. */
function composedSoftmax(x: Tensor, isLog: boolean): Tensor {
  const z = sub(x, max(x, -1, true));
  const lse = log(sum(exp(z), -1, true));
  return isLog ? sub(z, lse) : exp(sub(z, lse));
}

export const crossEntropyPrimitive = definePrimitive<null>('crossEntropy', ([z, labels]) => {
  const [rows, cols] = z!.shape as [number, number];
  const backend = backendOf('crossEntropy', [z!, labels!]);
  if (!kernels(backend).native('crossEntropy', [z!.dtype, labels!.dtype, z!.dtype])) {
    // −log-softmax at the flat positions r·cols + y_r. Without the kernel the labels are checked
    // here, on the host (the fused kernels check them themselves).
    const y = labels!.dataSync();
    checkLabels(labels!.buffer, rows, cols, y);
    const at = empty([rows], 'int32', backend);
    backend.write(at.buffer, Int32Array.from(y, (l, r) => r * cols + l));
    return neg(reshape(gather(reshape(composedSoftmax(z!, true), [rows * cols, 1]), at), [rows]));
  }
  const out = empty([rows], z!.dtype, backend);
  backend.crossEntropy!(z!.buffer, labels!.buffer, rows, cols, out.buffer);
  return out;
});

/**
 * The softmax's tangent y⊙t − y·⟨y, t⟩ (⟨·,·⟩ along the last axis; y = softmax(x), t = ẋ), for
 * tangents that carry k directions on one axis where y has 1 (a batched jvp: y [rows, 1, cols]
 * against t [rows, k, cols], or y [1, rows, cols] against [k, rows, cols]), or y of t's shape. One
 * pass over the tangents with the backend's softmaxJvp where the operands are concrete values, the
 * same values as the composition mulAdd(y, t, y, −Σ(y⊙t)) that runs otherwise (and under a trace,
 * where it is differentiable).
 */
export function softmaxJvp(y: Tensor, t: Tensor): Tensor {
  const r = t.rank;
  if (y.rank !== r || r === 0) throw new ShapeError(`softmaxJvp: y ${fmt(y.shape)} and t ${fmt(t.shape)} must have one rank ≥ 1`);
  const differ = t.shape.flatMap((d, i) => (y.shape[i] === d ? [] : [i]));
  if (differ.some((i) => i === r - 1 || y.shape[i] !== 1)) {
    throw new ShapeError(`softmaxJvp: y ${fmt(y.shape)} must have t's shape ${fmt(t.shape)}, or 1 on its direction axis`);
  }
  if (y.dtype !== t.dtype) throw new DTypeError(`softmaxJvp: y is ${y.dtype}, t is ${t.dtype}`);
  requireFloat('softmaxJvp', t);
  const b = differ.length === 1 ? differ[0]! : r - 1;  // no direction axis: k = 1 before the last
  if (differ.length <= 1 && y._level === 0 && t._level === 0 && y.backend === t.backend
    && kernels(t.backend).native('softmaxJvp', [y.dtype, t.dtype, t.dtype])) {
    const prod = (a: number, e: number): number => t.shape.slice(a, e).reduce((p, d) => p * d, 1);
    const out = empty(t.shape, t.dtype, t.backend);
    t.backend.softmaxJvp!(y.buffer, t.buffer, prod(0, b), differ.length === 1 ? t.shape[b]! : 1, prod(b + (differ.length === 1 ? 1 : 0), r - 1), t.shape[r - 1]!, out.buffer);
    return out;
  }
  return mulAdd(y, t, y, neg(sum(mul(y, t), -1, true)));
}

/**
 * Softmax along `axis`: e^{x − m}/Σe^{x − m} with the row maximum m as a constant shift (exact at
 * every derivative order; keeps exponents ≤ 0). The last axis runs the fused primitive.
 */
export function softmax(x: Tensor, axis = -1): Tensor {
  requireFloat('softmax', x);
  if (x.rank === 0) throw new ShapeError('softmax: needs a tensor of rank ≥ 1, got a scalar');
  const ax = normalizeAxis(axis, x.rank, 'softmax');
  if (ax === x.rank - 1) return bind(softmaxPrimitive, [x], { log: false });
  return exp(logSoftmaxComposed(x, ax));
}

/**
 * log softmax along `axis`: (x − m) − log Σ e^{x − m}, m = max(x) as a constant (exact, as in
 * logSumExp). Subtracting m first keeps float32 accurate for large logits (no |x|·ε rounding).
 */
export function logSoftmax(x: Tensor, axis = -1): Tensor {
  requireFloat('logSoftmax', x);
  if (x.rank === 0) throw new ShapeError('logSoftmax: needs a tensor of rank ≥ 1, got a scalar');
  const ax = normalizeAxis(axis, x.rank, 'logSoftmax');
  if (ax === x.rank - 1) return bind(softmaxPrimitive, [x], { log: true });
  return logSoftmaxComposed(x, ax);
}

function logSoftmaxComposed(x: Tensor, axis: number): Tensor {
  const z = sub(x, stopGradient(max(x, axis, true)));
  return sub(z, log(sum(exp(z), axis, true)));
}

/**
 * Per-row cross-entropy with integer labels, ℓ_r = −log softmax(z_r)[y_r] = log Σ_j e^{z_rj} − z_r,y_r
 * (torch.nn.functional.cross_entropy with reduction='none'): z is [rows, classes] float, labels
 * [rows] int32 in [0, classes) (InputError from the kernel otherwise). One fused kernel;
 * derivatives via softmax (rules/softmax.ts).
 */
export function softmaxCrossEntropy(z: Tensor, labels: Tensor): Tensor {
  requireFloat('softmaxCrossEntropy', z);
  if (z.rank !== 2) throw new ShapeError(`softmaxCrossEntropy: logits must be [rows, classes], got ${fmt(z.shape)}`);
  if (labels.dtype !== 'int32') throw new DTypeError(`softmaxCrossEntropy: labels must be int32, got ${labels.dtype}`);
  if (labels.rank !== 1 || labels.shape[0] !== z.shape[0]) {
    throw new ShapeError(`softmaxCrossEntropy: ${z.shape[0]} rows of logits but labels of shape ${fmt(labels.shape)}`);
  }
  // The label range is checked by Backend.crossEntropy (no host read of the labels per call).
  return bind(crossEntropyPrimitive, [z, labels], null);
}
