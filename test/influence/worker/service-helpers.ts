import * as assert from 'uvu/assert';
import * as c from '../../../src/index.js';
import { Random } from '../../../src/tensor/random.js';
import { randn } from '../../helpers.js';

/** Awaits `p` and checks it rejects with an error of `type` (and a message matching `re`). */
export async function rejectsType(p: Promise<unknown>, type: new (...a: any[]) => Error, re?: RegExp): Promise<void> {
  let caught: unknown;
  try { await p; } catch (err) { caught = err; }
  assert.instance(caught, type, `expected ${type.name}, got ${String(caught)}`);
  if (re) assert.match((caught as Error).message, re);
}

/** A problem whose direct fit takes a while (325 dense Gauss–Newton products over 600 points: 0.5 s on js, 0.15 s on native). */
export function slowProblem() {
  const rng = new Random(1);
  const model = c.Sequential.mlp([10, 20, 5], 'tanh');
  const objective = new c.Objective(model, c.crossEntropyLoss, 1e-3);
  const train = { x: c.keep(randn(rng, [600, 10])), y: c.keep(c.tensor(Int32Array.from({ length: 600 }, () => rng.int(5)), [600], 'int32')) };
  return { objective, theta: c.keep(model.init({ dtype: 'float64' })), train };
}
