import './rules/index.js';
import './batching.js';

import { ShapeError } from '../errors.js';
import { onesLike, zeros, zerosLike } from '../tensor/creation.js';
import { add, mul } from '../tensor/ops/elementwise.js';
import { sum } from '../tensor/ops/reduce.js';
import { Tensor } from '../tensor/tensor.js';
import { tidy } from '../tensor/tidy.js';
import { backward, jvpTracer, popTrace, pushTrace, traceOf, vjpTracer, type JvpState, type Trace } from './trace.js';

/** Functions differentiate with respect to one tensor or an array of tensors. */
export type Args = Tensor | readonly Tensor[];
type Like<A extends Args> = A extends Tensor ? Tensor : Tensor[];

const asList = (x: Args): Tensor[] => (x instanceof Tensor ? [x] : [...x]);
const shapeLike = <A extends Args>(x: A, list: Tensor[]): Like<A> => (x instanceof Tensor ? list[0]! : list) as Like<A>;
const fmt = (s: readonly number[]): string => `[${s.join(', ')}]`;

function unwrap(y: Tensor, trace: Trace): Tensor {
  return traceOf(y, trace) ? y._trace!.primal : y;
}

function checkOutput(y: unknown, op: string): Tensor {
  if (!(y instanceof Tensor)) throw new ShapeError(`${op}: the function must return a Tensor, got ${typeof y}`);
  return y;
}

/**
 * Reverse mode: evaluates f at x and returns its value with a pullback ct ↦ ctᵀ·∂f/∂x.
 * The tape lives until the enclosing tidy() ends (grad and valueAndGrad open their own).
 */
export function vjp<A extends Args>(f: (x: Like<A>) => Tensor, x: A): { value: Tensor; pullback: (ct: Tensor) => Like<A> } {
  const xs = asList(x);
  const trace = pushTrace('vjp');
  let y: Tensor;
  let wrapped: Tensor[];
  try {
    wrapped = xs.map((xi) => vjpTracer(trace, xi, null));
    y = checkOutput(f(shapeLike(x, wrapped)), 'vjp');
  } finally {
    popTrace(trace);
  }
  const value = unwrap(y, trace);
  const pullback = (ct: Tensor): Like<A> => {
    if (ct.shape.length !== value.shape.length || ct.shape.some((d, i) => d !== value.shape[i])) {
      throw new ShapeError(`vjp: cotangent shape ${fmt(ct.shape)} must equal the output shape ${fmt(value.shape)}`);
    }
    const grads = traceOf(y, trace) ? backward(trace, y, ct, wrapped) : wrapped.map(() => null);
    return shapeLike(x, grads.map((g, i) => g ?? zerosLike(xs[i]!)));
  };
  return { value, pullback };
}

/**
 * Reverse mode at intermediate values. Runs `f` once; inside it `tap(t)` returns t unchanged
 * (t + 0, the 0 a fresh input of this transformation) and `keep(t)` records t. Returns f's value,
 * the kept values (with this transformation's tracer removed, so they outlive it) and a pullback
 * ct ↦ [ctᵀ·∂f/∂t for every tapped t, in tap order]. One forward and one backward pass thus give a
 * network's inputs and output gradients at every layer (what nn's capture() is built on).
 * Taps must be made while f runs; f's value may be of any shape.
 */
export function vjpAtTaps(f: (tap: (t: Tensor) => Tensor, keep: (t: Tensor) => Tensor) => Tensor):
  { value: Tensor; kept: Tensor[]; pullback: (ct: Tensor) => Tensor[] } {
  const trace = pushTrace('vjp');
  const leaves: Tensor[] = [], kept: Tensor[] = [];
  let y: Tensor;
  try {
    const tap = (t: Tensor): Tensor => {
      if (!trace.active) throw new ShapeError('vjpAtTaps: tap() called after the function returned');
      // The wanted cotangent is the tapped value's own: a concrete value becomes a leaf as it is,
      // one this trace already follows stays as it is (backward keeps a wanted node's whole
      // cotangent) — no pass over it. A value of another transformation gets a zero leaf added,
      // which keeps its tangents.
      const own = t._level === 0 ? vjpTracer(trace, t, null) : traceOf(t, trace) && !leaves.includes(t) ? t : null;
      if (own) {
        leaves.push(own);
        return own;
      }
      const leaf = vjpTracer(trace, zerosLike(t.concrete()), null);
      leaves.push(leaf);
      return add(t, leaf);
    };
    const keep = (t: Tensor): Tensor => { kept.push(t); return t; };
    y = checkOutput(f(tap, keep), 'vjpAtTaps');
  } finally {
    popTrace(trace);
  }
  const value = unwrap(y, trace);
  const pullback = (ct: Tensor): Tensor[] => {
    if (ct.shape.length !== value.shape.length || ct.shape.some((d, i) => d !== value.shape[i])) {
      throw new ShapeError(`vjpAtTaps: cotangent shape ${fmt(ct.shape)} must equal the output shape ${fmt(value.shape)}`);
    }
    const grads = traceOf(y, trace) ? backward(trace, y, ct, leaves) : leaves.map(() => null);
    return grads.map((g, i) => g ?? zerosLike(leaves[i]!._trace!.primal));
  };
  return { value, kept: kept.map((t) => unwrap(t, trace)), pullback };
}

/** Value and gradient of a scalar function. */
export function valueAndGrad<A extends Args>(f: (x: Like<A>) => Tensor, x: A): { value: Tensor; grad: Like<A> } {
  return tidy(() => {
    const { value, pullback } = vjp(f, x);
    if (value.size !== 1) throw new ShapeError(`grad: the function must return a scalar, got shape ${fmt(value.shape)}`);
    return { value, grad: pullback(onesLike(value)) };
  });
}

/** Gradient ∇f(x) of a scalar function (reverse mode). */
export function grad<A extends Args>(f: (x: Like<A>) => Tensor, x: A): Like<A> {
  return valueAndGrad(f, x).grad;
}

/** Forward mode: f(x) and the directional derivative J_f(x)·v. */
export function jvp<A extends Args>(f: (x: Like<A>) => Tensor, x: A, v: A): { value: Tensor; tangent: Tensor } {
  return forward(f, x, v, true) as { value: Tensor; tangent: Tensor };
}

/**
 * One forward-mode pass. With `wantValue` false only the tangent is read, so primal work that
 * feeds nothing but the (discarded) value stays pending and is never run (see JvpState).
 */
function forward<A extends Args>(f: (x: Like<A>) => Tensor, x: A, v: A, wantValue: boolean): { value?: Tensor; tangent: Tensor } {
  const xs = asList(x), vs = asList(v);
  if (xs.length !== vs.length) throw new ShapeError(`jvp: ${xs.length} inputs but ${vs.length} tangents`);
  xs.forEach((xi, i) => {
    const vi = vs[i]!;
    if (vi.shape.length !== xi.shape.length || vi.shape.some((d, k) => d !== xi.shape[k]) || vi.dtype !== xi.dtype) {
      throw new ShapeError(`jvp: tangent ${i} is ${vi.dtype} ${fmt(vi.shape)}, its input is ${xi.dtype} ${fmt(xi.shape)}`);
    }
  });
  return tidy(() => {
    const trace = pushTrace('jvp');
    let y: Tensor;
    try {
      y = checkOutput(f(shapeLike(x, xs.map((xi, i) => jvpTracer(trace, xi, vs[i]!)))), 'jvp');
    } finally {
      popTrace(trace);
    }
    if (!traceOf(y, trace)) return wantValue ? { value: y, tangent: zerosLike(y) } : { tangent: zerosLike(y) };
    const info = y._trace as JvpState;
    const tangent = info.tangent ?? zerosLike(y);
    return wantValue ? { value: info.primal, tangent } : { tangent };
  });
}

/**
 * How a batched product's caller holds its k directions: `columns` true for the last axis
 * (V [n, k] for a vector, [...shape, k] in general: a LinearOperator's matmat block), false (the
 * default) for the first ([k, ...shape]). The result comes in the same layout. With columns, the
 * trace writes the parameter vector's gradient straight into [n, k] and cuts the layers' tangents
 * from V with k moved to the front as they are copied (Trace.columns, batching.ts), so neither
 * side pays a transpose of the whole block.
 */
export interface BatchedLayout { columns?: boolean }

/** The k axis of a batched block for an input of rank r: first, or last with columns. */
const kAxis = (r: number, layout: BatchedLayout): number => (layout.columns ? r : 0);

/** The [k, …shape] (or [...shape, k]) shape of a batched block. */
const blockShape = (shape: readonly number[], k: number, layout: BatchedLayout): number[] =>
  (layout.columns ? [...shape, k] : [k, ...shape]);

/**
 * k Hessian-vector products at once: V is [k, …x.shape] (k directions), the result [k, …x.shape]
 * with row j = ∇²f(x)·V[j] (with `columns`: [...x.shape, k] both, column j the j-th product). One
 * forward-over-reverse pass with batched tangents (batching.ts): every layer's tangent GEMMs carry
 * the k directions together. Throws BatchingUnsupported when f uses a primitive with no batched
 * rule (callers then fall back to one `hvp` per direction).
 */
export function hvpBatched(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor, layout: BatchedLayout = {}): Tensor {
  return forwardBatched((z: Tensor) => grad(f, z), x, v, false, layout, layout).tangent;
}

/**
 * A linear map applied to k inputs at once: f linear (a pullback, say) with one or more outputs,
 * V [k, …like.shape] → for each output [k, …its shape], row j = f(V[j]) (`out.columns`: each
 * output [...its shape, k]). It is f's batched forward mode at 0 (J_f·v = f(v) for a linear f), so
 * k backward passes become one whose GEMMs carry the k rows together; f(0) itself is never
 * computed. Throws BatchingUnsupported like hvpBatched (callers then apply f row by row).
 */
export function linearBatched(f: (x: Tensor) => Tensor[], like: Tensor, v: Tensor, out: BatchedLayout = {}): Tensor[] {
  const k = checkBlock('linearBatched', like, v, {});
  return tidy(() => {
    const trace = pushTrace('jvp');
    trace.batch = k;
    trace.columns = out.columns === true;
    let ys: Tensor[];
    try {
      ys = f(jvpTracer(trace, zerosLike(like), v)).map((y) => checkOutput(y, 'linearBatched'));
    } finally {
      popTrace(trace);
    }
    return ys.map((y) => (traceOf(y, trace) ? (y._trace as JvpState).tangentAt(kAxis(y.rank, out)) : null) ?? zeros(blockShape(y.shape, k, out), y.dtype));
  });
}

/** k of a batched block V for x (its shape [k, …x.shape], or [...x.shape, k] with columns), checked. */
function checkBlock(fn: string, x: Tensor, v: Tensor, layout: BatchedLayout): number {
  const k = v.shape[kAxis(x.rank, layout)] ?? 0;
  const want = blockShape(x.shape, k, layout);
  if (v.rank !== want.length || want.some((d, i) => d !== v.shape[i]) || v.dtype !== x.dtype || k < 1) {
    const expected = layout.columns ? `[${[...x.shape, 'k'].join(', ')}]` : `[k, ${x.shape.join(', ')}]`;
    throw new ShapeError(`${fn}: V is ${v.dtype} ${fmt(v.shape)}, expected ${expected} ${x.dtype}`);
  }
  return k;
}

/**
 * One batched forward-mode pass: f(x) and its k directional derivatives [k, …f(x).shape] (the
 * layouts of V and of the result as `input` and `output` say). With `wantValue` false f(x) is not
 * read, so a pending primal stays pending (hvpBatched: the gradient itself, the weight-gradient
 * GEMMs among it, is never formed — see JvpState).
 */
function forwardBatched(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor, wantValue = true, input: BatchedLayout = {},
  output: BatchedLayout = {}): { value: Tensor | null; tangent: Tensor } {
  const k = checkBlock('batched jvp', x, v, input);
  return tidy(() => {
    const trace = pushTrace('jvp');
    trace.batch = k;
    trace.columns = output.columns === true;
    let y: Tensor;
    try {
      y = checkOutput(f(jvpTracer(trace, x, v, kAxis(x.rank, input))), 'batched jvp');
    } finally {
      popTrace(trace);
    }
    const zero = () => zeros(blockShape(y.shape, k, output), y.dtype);
    if (!traceOf(y, trace)) return { value: y, tangent: zero() };
    const info = y._trace as JvpState;
    return { value: wantValue ? info.primal : null, tangent: info.tangentAt(kAxis(y.rank, output)) ?? zero() };
  });
}

/**
 * k Gauss–Newton products at once (V [k, …θ.shape] → [k, …θ.shape], or both [...θ.shape, k] with
 * `columns`): J·V in one batched forward pass (the model's GEMMs carry the k directions together),
 * H_L·(J·V) batched in output space, then Jᵀ by one batched backward pass over the one tape. Throws
 * BatchingUnsupported like hvpBatched.
 */
export function gnvpBatched(model: (theta: Tensor) => Tensor, loss: (outputs: Tensor) => Tensor, theta: Tensor, v: Tensor,
  layout: BatchedLayout = {}): Tensor {
  return tidy(() => {
    const k = checkBlock('gnvpBatched', theta, v, layout);
    const trace = pushTrace('vjp');
    let wrapped: Tensor, z: Tensor, jv: Tensor;
    try {
      wrapped = vjpTracer(trace, theta, null);
      const run = forwardBatched(model, wrapped, v, true, layout);
      z = run.value!;
      jv = run.tangent;
    } finally {
      popTrace(trace);
    }
    const outputs = unwrap(z, trace);
    const hjv = hvpBatched(loss, outputs, unwrap(jv, trace));
    if (!traceOf(z, trace)) return zeros(blockShape(theta.shape, k, layout), theta.dtype);
    // Jᵀ of the k rows: the backward pass is linear in its cotangent, so one batched pass over
    // the tape (linearBatched) carries all k (its GEMMs k times wider).
    const pullback = (ct: Tensor): Tensor[] => [backward(trace, z, ct, [wrapped])[0] ?? zerosLike(theta)];
    return linearBatched(pullback, outputs, hjv, layout)[0]!;
  });
}

export type HvpMode = 'forward-over-reverse' | 'reverse-over-reverse';

/**
 * Hessian-vector product ∇²f(x)·v of a scalar function. Forward-over-reverse (default) pushes a
 * tangent through the gradient computation; reverse-over-reverse differentiates ⟨∇f(x), v⟩.
 */
export function hvp(f: (x: Tensor) => Tensor, x: Tensor, v: Tensor, mode: HvpMode = 'forward-over-reverse'): Tensor {
  if (mode === 'reverse-over-reverse') {
    return grad((z: Tensor) => sum(mul(grad(f, z), v)), x);
  }
  return forward((z: Tensor) => grad(f, z), x, v, false).tangent;
}

/**
 * Gauss–Newton vector product Jᵀ·H_L·J·v for f = L ∘ m: J is the Jacobian of the model outputs
 * m(θ), H_L the Hessian of the loss L in the outputs (positive semi-definite for cross-entropy,
 * MSE and BCE, which makes the product PSD; Schraudolph 2002, "Fast curvature matrix-vector
 * products"). One forward pass carries both the tape for Jᵀ and the tangent J·v (a jvp nested in
 * a vjp, so the model's primal forward runs once), then an output-space hvp and one backward pass.
 */
export function gnvp(model: (theta: Tensor) => Tensor, loss: (outputs: Tensor) => Tensor, theta: Tensor, v: Tensor): Tensor {
  if (v.shape.length !== theta.shape.length || v.shape.some((d, i) => d !== theta.shape[i]) || v.dtype !== theta.dtype) {
    throw new ShapeError(`gnvp: v is ${v.dtype} ${fmt(v.shape)}, θ is ${theta.dtype} ${fmt(theta.shape)}`);
  }
  return tidy(() => {
    const trace = pushTrace('vjp');
    let wrapped: Tensor, z: Tensor, jv: Tensor;
    try {
      wrapped = vjpTracer(trace, theta, null);
      ({ value: z, tangent: jv } = jvp(model, wrapped, v));
    } finally {
      popTrace(trace);
    }
    const outputs = unwrap(z, trace);
    const hjv = hvp(loss, outputs, unwrap(jv, trace));
    const [g] = traceOf(z, trace) ? backward(trace, z, hjv, [wrapped]) : [null];
    return g ?? zerosLike(theta);
  });
}

export { BatchingUnsupported } from './trace.js';
