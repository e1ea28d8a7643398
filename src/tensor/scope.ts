import type { Tensor } from './tensor.js';

/**
 * Memory scopes (DESIGN.md: `tidy(fn)` frees every intermediate not returned). Scopes nest
 * strictly because `tidy` is synchronous; a scope's depth orders it against the others.
 */
export class Scope {
  readonly tensors = new Set<Tensor>();
  constructor(readonly depth: number) {}
}

const stack: Scope[] = [];

export function currentScope(): Scope | null {
  return stack.length ? stack[stack.length - 1]! : null;
}

/** Registers a freshly made concrete tensor with the innermost scope. */
export function track(t: Tensor): void {
  const s = currentScope();
  if (s) {
    s.tensors.add(t);
    t._scope = s;
  }
}

/**
 * Moves `t` into an older scope (smaller depth), so that an inner `tidy` does not free a value an
 * outer computation still needs (a tape's saved tensors). Untracked tensors (no scope) and tensors
 * already in an older scope stay where they are. `target === null` means "owned by the caller".
 */
export function adopt(t: Tensor, target: Scope | null): void {
  const from = t._scope;
  if (!from) return;
  if (target && target.depth >= from.depth) return;
  from.tensors.delete(t);
  t._scope = target;
  if (target) target.tensors.add(t);
}

/** Every concrete tensor reachable from a value (through tracers and nested arrays/objects). */
export function collectTensors(value: unknown, out: Set<Tensor>, isTensor: (x: unknown) => x is Tensor): void {
  if (isTensor(value)) {
    for (const c of value._concreteParts()) out.add(c);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, out, isTensor);
    return;
  }
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, out, isTensor);
  }
}

export function pushScope(): Scope {
  const s = new Scope(stack.length);
  stack.push(s);
  return s;
}

/** Pops `scope`, disposing its tensors except `keep`, which move to the parent scope. */
export function popScope(scope: Scope, keep: Set<Tensor>): void {
  if (stack[stack.length - 1] !== scope) throw new Error('internal error: tidy scopes popped out of order');
  stack.pop();
  const parent = currentScope();
  for (const t of scope.tensors) {
    if (keep.has(t)) {
      t._scope = parent;
      if (parent) parent.tensors.add(t);
    } else {
      t.dispose();
    }
  }
  scope.tensors.clear();
}
