import { bind, setTraceInterpreter, type Primitive } from '../tensor/primitive.js';
import { adopt, currentScope, type Scope } from '../tensor/scope.js';
import { slicePrimitive, transpose, unpermuted, type SliceParams } from '../tensor/ops/shape.js';
import { Cotangent } from './accumulate.js';
import { Tensor, type TraceInfo } from '../tensor/tensor.js';

/**
 * The autodiff interpreter. Each transformation (one `jvp` or one `vjp`) opens a trace at the next
 * level; its tracers wrap values of lower levels, so nested transformations compose without
 * perturbation confusion (the level discipline of JAX's tracers, here evaluated eagerly):
 * forward-over-reverse HVPs and reverse-over-reverse both fall out of the same rules.
 */

/**
 * Forward-mode rule: the output tangent from input tangents (null = zero), in differentiable ops.
 * `primals` and `out` are evaluated on first use: a rule that only reads `shapes` (a linear
 * primitive: reshape, pad, add, …) or only some inputs (matmul with one varying operand) lets the
 * interpreter skip primal work that nothing downstream reads (see `JvpState`). `shapes` are the
 * input shapes, known without evaluating anything.
 */
export type JvpRule<P> = (primals: Tensor[], tangents: (Tensor | null)[], out: () => Tensor, params: P,
  shapes: readonly (readonly number[])[]) => Tensor;
/** Reverse-mode rule: input cotangents from the output cotangent; `needs[i]` says whether input i wants one. */
export type VjpRule<P> = (primals: Tensor[], out: Tensor, ct: Tensor, params: P, needs: boolean[]) => (Tensor | null)[];

export interface Rule<P> {
  jvp: JvpRule<P>;
  vjp: VjpRule<P>;
  /**
   * An elementwise primitive of one input whose adjoint is ȳ ⊙ s, s = adjointScale(primals, out)
   * of the input's shape (an activation: tanh's 1 − y², ReLU's step(x)): backward may then fold
   * the product into the GEMM that forms ȳ (see `vjpScaled` and backward).
   */
  adjointScale?: (primals: Tensor[], out: Tensor, params: P) => Tensor;
  /**
   * Input i's cotangent multiplied elementwise by `scale` (input i's shape) in one step — matmul:
   * one GEMM that scales each tile as it finishes it (matmulScaled) — or null where it cannot.
   */
  vjpScaled?: (primals: Tensor[], out: Tensor, ct: Tensor, params: P, i: number, scale: Tensor) => Tensor | null;
}

const rules = new Map<string, Rule<any> | 'zero'>();

/**
 * Batched forward-mode rule (a jvp trace with `batch` k > 0): every tangent carries an axis of k
 * directions. A rule declared with defineBatchedJvp sees it in front, [k, …primal shape], and
 * returns the output tangent as [k, …out shape]; the interpreter moves an input's axis to the front
 * first where it sits elsewhere (a copy).
 */
export type BatchedJvpRule<P> = (primals: Tensor[], tangents: (Tensor | null)[], out: () => Tensor, params: P,
  shapes: readonly (readonly number[])[], k: number) => Tensor;
/**
 * A batched rule that takes each tangent's k axis where it is (`bdims[i]`: the position of k in
 * tangent i, whose other axes are the primal's in order) and returns the output tangent with the
 * position it chose. This is JAX's batching dimension: a layer's tangent kept as [rows, k, width]
 * lets the next GEMM take all k directions as one wider operand with no copy (batching.ts).
 */
export type AxisBatchedJvpRule<P> = (primals: Tensor[], tangents: (Tensor | null)[], out: () => Tensor, params: P,
  shapes: readonly (readonly number[])[], k: number, bdims: readonly number[], trace: Trace) => readonly [Tensor, number];
type BatchedEntry = { axisAware: false; rule: BatchedJvpRule<any> } | { axisAware: true; rule: AxisBatchedJvpRule<any> };
const batchedRules = new Map<string, BatchedEntry>();

/** Registered in batching.ts; a primitive without a batched rule makes a batched jvp throw BatchingUnsupported. */
export function defineBatchedJvp<P>(prim: Primitive<P>, rule: BatchedJvpRule<P>): void {
  batchedRules.set(prim.name, { axisAware: false, rule });
}

export function defineAxisBatchedJvp<P>(prim: Primitive<P>, rule: AxisBatchedJvpRule<P>): void {
  batchedRules.set(prim.name, { axisAware: true, rule });
}

/** t with its k axis moved from position `from` to `to` (the other axes keep their order; a copy unless equal). */
export function moveBatchAxis(t: Tensor, from: number, to: number): Tensor {
  if (from === to) return t;
  const axes = t.shape.map((_, i) => i).filter((i) => i !== from);
  axes.splice(to, 0, from);
  return transpose(t, axes);
}

/** The (unbatched) rule of a primitive, for batching.ts to lift. */
export function ruleOf(name: string): Rule<any> | 'zero' | undefined {
  return rules.get(name);
}

/** A batched jvp met a primitive with no batched rule (callers fall back to one direction at a time). */
export class BatchingUnsupported extends Error {
  constructor(prim: string) {
    super(`no batched jvp rule for primitive '${prim}'`);
    this.name = 'BatchingUnsupported';
  }
}

export function defineRule<P>(prim: Primitive<P>, rule: Rule<P>): void {
  rules.set(prim.name, rule);
}

/** Declares a primitive piecewise constant (comparisons, sign, step): its derivatives are zero. */
export function defineZeroRule(prim: Primitive<any>): void {
  rules.set(prim.name, 'zero');
}

export class Trace {
  active = true;
  /** k > 0: a batched jvp trace whose tangents carry k directions (see JvpState.bdim). */
  batch = 0;
  /**
   * A batched trace whose caller holds vectors' tangents as columns [n, k] (k last: a LinearOperator's
   * matmat block): a concat of vectors — a parameter vector's gradient assembled from its layers —
   * writes its tangent in that layout, so the caller needs no transpose (batching.ts).
   */
  columns = false;
  constructor(readonly level: number, readonly kind: 'jvp' | 'vjp', readonly home: Scope | null) {}
}

/** A tape entry: how the tracer `out` was made. */
export interface Node {
  readonly prim: Primitive<any>;
  readonly params: unknown;
  readonly primals: Tensor[];
  readonly out: Tensor;
  /** The inputs that are tracers of the same trace (null for constants). */
  readonly parents: (Tensor | null)[];
}

export interface VjpInfo extends TraceInfo { readonly trace: Trace; readonly node: Node | null }

const stack: Trace[] = [];

export function pushTrace(kind: 'jvp' | 'vjp'): Trace {
  const t = new Trace(stack.length + 1, kind, currentScope());
  stack.push(t);
  return t;
}

export function popTrace(t: Trace): void {
  if (stack[stack.length - 1] !== t) throw new Error('internal error: autodiff traces popped out of order');
  stack.pop();
  t.active = false;
}

/**
 * The state of a forward-mode tracer: its tangent, and its primal either computed or pending.
 *
 * Dead-code elimination for forward-over-reverse (Pearlmutter 1994's R-operator evaluated as
 * jvp∘grad): an HVP only reads the tangent of ∇f, so the primal weight gradients (the second
 * matmul per layer in the gradient, xᵀ·g₁ for a first layer) are never needed. JAX removes them
 * by DCE after tracing under jit; evaluating eagerly, we defer them instead: when the rule of a
 * primitive does not read its primal output and every input primal is concrete, the output primal
 * is a pending computation, run on first read (`primal`) and never if nothing reads it.
 * Pending inputs keep their buffers alive through `parts()` (tidy and tape adoption see them).
 */
export class JvpState implements TraceInfo {
  private value: Tensor | null;
  private pending: { prim: Primitive<any>; inputs: Tensor[]; params: unknown } | null;

  /**
   * `bdim`: in a batched trace, the axis of the tangent that holds the k directions (the others are
   * the primal's, in order).
   */
  constructor(readonly trace: Trace, primal: Tensor | null, readonly tangent: Tensor | null,
    pending: { prim: Primitive<any>; inputs: Tensor[]; params: unknown } | null = null, readonly bdim = 0) {
    this.value = primal;
    this.pending = pending;
  }

  /** Whether the primal is still pending (it holds concrete values once computed). */
  get isPending(): boolean {
    return this.value === null;
  }

  /** The primal value, computed now if it was pending. */
  get primal(): Tensor {
    if (this.value === null) {
      const { prim, inputs, params } = this.pending!;
      const out = bind(prim, inputs.map((x) => primalOf(x, this.trace)), params);
      const ts = this.tangent ? primalShapeOf(this.tangent, this.trace, this.bdim) : null;
      if (ts && (out.shape.length !== ts.length || out.shape.some((d, i) => d !== ts[i]))) {
        throw new Error(`internal error: the jvp rule of '${prim.name}' gave a tangent of shape [${this.tangent!.shape}] for a primal of shape [${out.shape}]`);
      }
      this.value = out;
      this.pending = null;
    }
    return this.value;
  }

  /** A batched trace's tangent with the k directions in front, [k, …primal shape] (null: zero). */
  get frontTangent(): Tensor | null {
    return this.tangentAt(0);
  }

  /** A batched trace's tangent with the k directions at axis `bdim` (null: zero). */
  tangentAt(bdim: number): Tensor | null {
    return this.tangent && moveBatchAxis(this.tangent, this.bdim, bdim);
  }

  /** Concrete tensors this value holds: the primal (or what a pending primal will read) and the tangent. */
  parts(): Tensor[] {
    const out: Tensor[] = [];
    const seen = new Set<JvpState>();
    const todo: JvpState[] = [this];
    while (todo.length) {
      const s = todo.pop()!;
      if (seen.has(s)) continue;
      seen.add(s);
      if (s.value) out.push(...s.value._concreteParts());
      else {
        for (const x of s.pending!.inputs) {
          if (traceOf(x, s.trace)) todo.push(x._trace as JvpState);
          else out.push(...x._concreteParts());
        }
      }
    }
    if (this.tangent) out.push(...this.tangent._concreteParts());
    return out;
  }
}

export function jvpTracer(trace: Trace, primal: Tensor, tangent: Tensor | null, bdim = 0): Tensor {
  return new Tensor(primal.shape, primal.dtype, new JvpState(trace, primal, tangent, null, bdim));
}

/** The primal shape a tangent stands for: without its k axis in a batched trace. */
function primalShapeOf(tangent: Tensor, trace: Trace, bdim: number): number[] {
  return trace.batch > 0 ? tangent.shape.filter((_, i) => i !== bdim) : [...tangent.shape];
}

/** The primal (one level down) of an input of `trace`: unwrapped if it is one of its tracers. */
function primalOf(x: Tensor, trace: Trace): Tensor {
  return traceOf(x, trace) ? x._trace!.primal : x;
}

/** Whether the value one level below `x` is concrete or a pending concrete computation. */
function concreteBelow(x: Tensor, trace: Trace): boolean {
  if (!traceOf(x, trace)) return x._level === 0;
  const s = x._trace as JvpState;
  return s.isPending || s.primal._level === 0;
}

/** An array whose element i is computed on first access (rules destructure only what they use). */
function lazyArray(n: number, get: (i: number) => Tensor): Tensor[] {
  const arr: Tensor[] = new Array(n);
  for (let i = 0; i < n; i++) {
    let v: Tensor | undefined;
    Object.defineProperty(arr, i, { enumerable: true, get: () => (v ??= get(i)) });
  }
  return arr;
}

export function vjpTracer(trace: Trace, primal: Tensor, node: Node | null): Tensor {
  const info: VjpInfo = { trace, primal, node };
  return new Tensor(primal.shape, primal.dtype, info);
}

/** The trace a tracer belongs to, or null when `x` is a value of a lower level. */
export function traceOf(x: Tensor, trace: Trace): boolean {
  return x._level === trace.level && (x._trace as JvpState | VjpInfo).trace === trace;
}

function interpret<P>(prim: Primitive<P>, inputs: Tensor[], params: P, level: number): Tensor {
  const top = inputs.find((x) => x._level === level)!;
  const trace = (top._trace as JvpState | VjpInfo).trace;
  if (!trace.active || stack[level - 1] !== trace || inputs.some((x) => x._level === level && (x._trace as JvpState | VjpInfo).trace !== trace)) {
    throw new Error(`a tracer escaped its transformation (level ${level}): do not keep values from inside grad/jvp/hvp callbacks`);
  }
  const rule = rules.get(prim.name);
  if (rule === undefined) throw new Error(`no derivative rule for primitive '${prim.name}'`);
  const mine = inputs.map((x) => x._level === level);
  if (trace.kind === 'jvp') return interpretJvp(trace, prim, inputs, params, mine, rule);

  const primals = inputs.map((x, i) => (mine[i] ? x._trace!.primal : x));
  const out = bind(prim, primals, params);
  if (rule === 'zero') return out;
  const parents = inputs.map((x, i) => (mine[i] && x._trace ? x : null));
  // The tape keeps primals and output for the backward pass: they belong to the scope that
  // opened the trace, so an inner tidy() cannot free them early.
  for (const t of [...primals, out]) for (const c of t._concreteParts()) adopt(c, trace.home);
  return vjpTracer(trace, out, { prim, params, primals, out, parents });
}

function interpretJvp<P>(trace: Trace, prim: Primitive<P>, inputs: Tensor[], params: P, mine: boolean[],
  rule: Rule<any> | 'zero'): Tensor {
  const tangents = inputs.map((x, i) => (mine[i] ? (x._trace as JvpState).tangent : null));
  if (rule === 'zero' || tangents.every((t) => t === null)) return bind(prim, inputs.map((x) => primalOf(x, trace)), params);
  // Reading a computed primal is free; only pending ones need the lazy array.
  const anyPending = inputs.some((x) => traceOf(x, trace) && (x._trace as JvpState).isPending);
  const primals = anyPending ? lazyArray(inputs.length, (i) => primalOf(inputs[i]!, trace)) : inputs.map((x) => primalOf(x, trace));
  let out: Tensor | null = null;
  const force = (): Tensor => (out ??= bind(prim, inputs.map((x) => primalOf(x, trace)), params));
  let tangent: Tensor, bdim = 0;
  if (trace.batch > 0) {
    const entry = batchedRules.get(prim.name);
    if (!entry) throw new BatchingUnsupported(prim.name);
    const bdims = inputs.map((x, i) => (mine[i] ? (x._trace as JvpState).bdim : 0));
    const shapes = inputs.map((x) => x.shape);
    if (entry.axisAware) {
      [tangent, bdim] = entry.rule(primals, tangents, force, params, shapes, trace.batch, bdims, trace);
    } else {
      const front = tangents.map((t, i) => t && moveBatchAxis(t, bdims[i]!, 0));
      tangent = entry.rule(primals, front, force, params, shapes, trace.batch);
    }
  } else {
    tangent = rule.jvp(primals, tangents, force, params, inputs.map((x) => x.shape));
  }
  if (out === null && !inputs.every((x) => concreteBelow(x, trace))) force();
  if (out !== null) return jvpTracer(trace, out, tangent, bdim);
  return new Tensor(primalShapeOf(tangent, trace, bdim), tangent.dtype, new JvpState(trace, null, tangent, { prim, inputs, params }, bdim));
}

setTraceInterpreter(interpret);

/**
 * Backpropagates `ct` from `output` through the tape of `trace` and returns the cotangent of each
 * tracer in `wrt` (null where the output does not depend on it).
 */
/**
 * Backward-pass fusion: the adjoint of an activation y = f(x) is ȳ ⊙ f′, a pass over a cotangent
 * that the GEMM forming ȳ (the next layer's Ḡ·W) can make as it finishes each tile. When the
 * cotangents are batched (a pullback applied to k of them at once: K-FAC's K backpropagated
 * columns, the batched Gauss–Newton product's Jᵀ), y feeds exactly one node of the tape (not
 * wanted, not the output), its rule has an adjointScale, and f′ is a constant (x and y are no values
 * of an outer transformation: under forward-over-reverse or reverse-over-reverse f′ varies, and the
 * fused product's derivative would recompute the GEMM), backward gives the consumer's
 * vjpScaled(…, f′) to x directly and y never gets a cotangent: one f′ [n, width] scales all k·n
 * rows in the GEMM, where the separate rule would pass over the k·n rows again. A single cotangent
 * keeps the separate rule: forming f′ on its own (1 − y²: a square and a subtraction) costs what
 * the pass saves — tanh's one-pass tanhGrad measured 2–8 % faster than the fused GEMM for a W-HVP
 * gradient. Returns x and how to make f′, or null.
 */
function activationOf(y: Tensor, ct: Tensor, uses: ReadonlyMap<Tensor, number>, wanted: ReadonlySet<Tensor>, output: Tensor): { input: Tensor; scale: () => Tensor } | null {
  if (!ct._trace || (ct._trace as JvpState | VjpInfo).trace.batch === 0) return null;
  if (uses.get(y) !== 1 || wanted.has(y) || y === output) return null;
  const node = (y._trace as VjpInfo).node;
  const input = node?.parents.length === 1 ? node.parents[0] : null;
  const rule = node && rules.get(node.prim.name);
  if (!node || !input || !rule || rule === 'zero' || !rule.adjointScale) return null;
  if (node.out._trace || node.primals.some((t) => t._trace)) return null;
  return { input, scale: () => rule.adjointScale!(node.primals, node.out, node.params) };
}

export function backward(trace: Trace, output: Tensor, ct: Tensor, wrt: Tensor[]): (Tensor | null)[] {
  const order: Tensor[] = [];
  const seen = new Set<Tensor>();
  const todo = [output];
  while (todo.length) {
    const t = todo.pop()!;
    if (seen.has(t) || !traceOf(t, trace)) continue;
    seen.add(t);
    order.push(t);
    const node = (t._trace as VjpInfo).node;
    if (node) for (const p of node.parents) if (p) todo.push(p);
  }
  // A node's id exceeds its parents' ids, so decreasing id is a reverse topological order.
  order.sort((a, b) => b.id - a.id);
  const uses = new Map<Tensor, number>();
  for (const t of order) for (const p of (t._trace as VjpInfo).node?.parents ?? []) if (p) uses.set(p, (uses.get(p) ?? 0) + 1);
  const cts = new Map<Tensor, Cotangent>();
  const start = new Cotangent();
  start.addDense(ct);
  cts.set(output, start);
  const wanted = new Set(wrt);
  for (const t of order) {
    const acc = cts.get(t);
    const node = (t._trace as VjpInfo).node;
    if (!acc || !node) continue;
    const g = acc.value(t);
    if (wanted.has(t)) {
      const done = new Cotangent();
      done.addDense(g);
      cts.set(t, done);
    } else {
      cts.delete(t);
    }
    const into = (p: Tensor): Cotangent => {
      let a = cts.get(p);
      if (!a) cts.set(p, (a = new Cotangent()));
      return a;
    };
    if (node.prim === slicePrimitive) {
      // The adjoint of slice is kept as a block of the parent's cotangent (see Cotangent).
      const p = node.parents[0];
      const { begin, perm } = node.params as SliceParams;
      if (p) into(p).addPiece({ begin, value: unpermuted(g, perm) });
      continue;
    }
    const rule = rules.get(node.prim.name) as Rule<unknown>;
    const needs = node.parents.map((p) => p !== null);
    if (rule.vjpScaled) {
      node.parents.forEach((p, i) => {
        const act = p && activationOf(p, g, uses, wanted, output);
        const gi = act && rule.vjpScaled!(node.primals, node.out, g, node.params, i, act.scale());
        if (!gi) return;
        into(act.input).addDense(gi);
        needs[i] = false;
      });
    }
    const grads = needs.some(Boolean) ? rule.vjp(node.primals, node.out, g, node.params, needs) : [];
    node.parents.forEach((p, i) => {
      const gi = grads[i];
      if (p && gi) into(p).addDense(gi);
    });
  }
  return wrt.map((x) => cts.get(x)?.value(x) ?? null);
}
