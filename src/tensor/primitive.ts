import type { Tensor } from './tensor.js';

/**
 * A primitive operation: `impl` computes on concrete tensors with the backend. Its derivative
 * rules live in src/autodiff/rules (the tensor layer never imports autodiff); autodiff installs
 * an interpreter that runs whenever an input is a tracer.
 */
export interface Primitive<P = unknown> {
  readonly name: string;
  impl(inputs: Tensor[], params: P): Tensor;
}

/** Runs a primitive whose inputs include tracers; installed by src/autodiff. */
export type TraceInterpreter = <P>(prim: Primitive<P>, inputs: Tensor[], params: P, level: number) => Tensor;

let interpreter: TraceInterpreter | null = null;

export function setTraceInterpreter(fn: TraceInterpreter): void {
  interpreter = fn;
}

export function definePrimitive<P>(name: string, impl: (inputs: Tensor[], params: P) => Tensor): Primitive<P> {
  return { name, impl };
}

/** Applies a primitive: directly on concrete inputs, through the autodiff interpreter on tracers. */
export function bind<P>(prim: Primitive<P>, inputs: Tensor[], params: P): Tensor {
  let level = 0;
  for (const x of inputs) if (x._level > level) level = x._level;
  if (level === 0) return prim.impl(inputs, params);
  if (!interpreter) throw new Error('internal error: tracer seen but no autodiff interpreter installed');
  return interpreter(prim, inputs, params, level);
}
