import { collectTensors, popScope, pushScope } from './scope.js';
import { isTensor, type Tensor } from './tensor.js';

/**
 * Runs `fn` and disposes every tensor it created except those reachable from its result (tensors,
 * arrays and plain objects of them), which move to the enclosing scope. Synchronous only.
 */
export function tidy<T>(fn: () => T): T {
  const scope = pushScope();
  let result: T;
  try {
    result = fn();
  } catch (err) {
    popScope(scope, new Set());
    throw err;
  }
  if (result instanceof Promise) {
    popScope(scope, new Set());
    throw new Error('tidy: the function returned a Promise; tidy scopes are synchronous');
  }
  const keep = new Set<Tensor>();
  collectTensors(result, keep, isTensor);
  popScope(scope, keep);
  return result;
}

/** Keeps a tensor alive past the enclosing tidy (moves it out of every scope). */
export function keep<T extends Tensor>(t: T): T {
  for (const c of t._concreteParts()) {
    if (c._scope) {
      c._scope.tensors.delete(c);
      c._scope = null;
    }
  }
  return t;
}

/** Disposes every tensor reachable from a value. */
export function dispose(value: unknown): void {
  const all = new Set<Tensor>();
  collectTensors(value, all, isTensor);
  for (const t of all) t.dispose();
}
