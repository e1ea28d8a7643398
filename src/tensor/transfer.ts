import { setBackend } from '../backend/registry.js';
import { getBackend } from '../backend/registry.js';
import { empty, type Tensor } from './tensor.js';

/** A copy of a concrete tensor on another backend (by name). The active backend is left unchanged. */
export function toBackend(t: Tensor, name: string): Tensor {
  const previous = getBackend();
  const target = setBackend(name);
  setBackend(previous.name);
  if (t.backend === target) return t;
  const out = empty(t.shape, t.dtype, target);
  target.write(out.buffer, t.dataSync());
  return out;
}
