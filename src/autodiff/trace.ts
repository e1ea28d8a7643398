import { bind, setTraceInterpreter, type Primitive } from '../tensor/primitive.js';
import { adopt, currentScope, type Scope } from '../tensor/scope.js';
import { add } from '../tensor/ops/elementwise.js';
import { Tensor, type TraceInfo } from '../tensor/tensor.js';

/**
 * The autodiff interpreter. Each transformation (one `jvp` or one `vjp`) opens a trace at the next
 * level; its tracers wrap values of lower levels, so nested transformations compose without
 * perturbation confusion (the level discipline of JAX's tracers, here evaluated eagerly):
 * forward-over-reverse HVPs and reverse-over-reverse both fall out of the same rules.
 */

/** Forward-mode rule: the output tangent from input tangents (null = zero), in differentiable ops. */
export type JvpRule<P> = (primals: Tensor[], tangents: (Tensor | null)[], out: Tensor, params: P) => Tensor;
/** Reverse-mode rule: input cotangents from the output cotangent; `needs[i]` says whether input i wants one. */
export type VjpRule<P> = (primals: Tensor[], out: Tensor, ct: Tensor, params: P, needs: boolean[]) => (Tensor | null)[];

export interface Rule<P> {
  jvp: JvpRule<P>;
  vjp: VjpRule<P>;
}

const rules = new Map<string, Rule<any> | 'zero'>();

export function defineRule<P>(prim: Primitive<P>, rule: Rule<P>): void {
  rules.set(prim.name, rule);
}

/** Declares a primitive piecewise constant (comparisons, sign, step): its derivatives are zero. */
export function defineZeroRule(prim: Primitive<any>): void {
  rules.set(prim.name, 'zero');
}

export class Trace {
  active = true;
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

export interface JvpInfo extends TraceInfo { readonly trace: Trace; readonly tangent: Tensor | null; parts(): Tensor[] }
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

export function jvpTracer(trace: Trace, primal: Tensor, tangent: Tensor | null): Tensor {
  const info: JvpInfo = {
    trace, primal, tangent,
    parts() {
      return tangent ? [...primal._concreteParts(), ...tangent._concreteParts()] : primal._concreteParts();
    },
  };
  return new Tensor(primal.shape, primal.dtype, info);
}

export function vjpTracer(trace: Trace, primal: Tensor, node: Node | null): Tensor {
  const info: VjpInfo = { trace, primal, node };
  return new Tensor(primal.shape, primal.dtype, info);
}

/** The trace a tracer belongs to, or null when `x` is a value of a lower level. */
export function traceOf(x: Tensor, trace: Trace): boolean {
  return x._level === trace.level && (x._trace as JvpInfo | VjpInfo).trace === trace;
}

function interpret<P>(prim: Primitive<P>, inputs: Tensor[], params: P, level: number): Tensor {
  const top = inputs.find((x) => x._level === level)!;
  const trace = (top._trace as JvpInfo | VjpInfo).trace;
  if (!trace.active || stack[level - 1] !== trace || inputs.some((x) => x._level === level && (x._trace as JvpInfo | VjpInfo).trace !== trace)) {
    throw new Error(`a tracer escaped its transformation (level ${level}): do not keep values from inside grad/jvp/hvp callbacks`);
  }
  const mine = inputs.map((x) => x._level === level);
  const primals = inputs.map((x, i) => (mine[i] ? x._trace!.primal : x));
  const out = bind(prim, primals, params);
  const rule = rules.get(prim.name);
  if (rule === undefined) throw new Error(`no derivative rule for primitive '${prim.name}'`);
  if (rule === 'zero') return out;

  if (trace.kind === 'jvp') {
    const tangents = inputs.map((x, i) => (mine[i] ? (x._trace as JvpInfo).tangent : null));
    if (tangents.every((t) => t === null)) return out;
    return jvpTracer(trace, out, rule.jvp(primals, tangents, out, params));
  }
  const parents = inputs.map((x, i) => (mine[i] && x._trace ? x : null));
  // The tape keeps primals and output for the backward pass: they belong to the scope that
  // opened the trace, so an inner tidy() cannot free them early.
  for (const t of [...primals, out]) for (const c of t._concreteParts()) adopt(c, trace.home);
  return vjpTracer(trace, out, { prim, params, primals, out, parents });
}

setTraceInterpreter(interpret);

/**
 * Backpropagates `ct` from `output` through the tape of `trace` and returns the cotangent of each
 * tracer in `wrt` (null where the output does not depend on it).
 */
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
  const cts = new Map<Tensor, Tensor>([[output, ct]]);
  const wanted = new Set(wrt);
  for (const t of order) {
    const g = cts.get(t);
    const node = (t._trace as VjpInfo).node;
    if (!g || !node) continue;
    if (!wanted.has(t)) cts.delete(t);
    const rule = rules.get(node.prim.name) as Rule<unknown>;
    const needs = node.parents.map((p) => p !== null);
    const grads = rule.vjp(node.primals, node.out, g, node.params, needs);
    node.parents.forEach((p, i) => {
      const gi = grads[i];
      if (!p || !gi) return;
      const prev = cts.get(p);
      cts.set(p, prev ? add(prev, gi) : gi);
    });
  }
  return wrt.map((x) => cts.get(x) ?? null);
}
