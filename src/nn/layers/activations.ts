import { InputError } from '../../errors.js';
import { add, erf, mul, relu, sigmoid, softplus, tanh } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Layer, LayerSpec } from '../module.js';

/** A parameter-free elementwise layer. */
class Activation implements Layer {
  readonly params = [];
  constructor(readonly kind: string, private readonly fn: (x: Tensor) => Tensor, private readonly label: string) {}
  apply(_params: readonly Tensor[], x: Tensor): Tensor {
    return this.fn(x);
  }
  init(): Float64Array[] {
    return [];
  }
  describe(): string {
    return this.label;
  }
  spec(): LayerSpec {
    return { kind: this.kind };
  }
}

/** GELU with the exact erf form x·Φ(x) = ½x(1 + erf(x/√2)) (PyTorch's default, not the tanh approximation). */
export const gelu = (x: Tensor): Tensor => mul(mul(x, 0.5), add(erf(mul(x, Math.SQRT1_2)), 1));

export const Tanh = (): Layer => new Activation('tanh', tanh, 'Tanh()');
export const Sigmoid = (): Layer => new Activation('sigmoid', sigmoid, 'Sigmoid()');
export const ReLU = (): Layer => new Activation('relu', relu, 'ReLU()');
export const GELU = (): Layer => new Activation('gelu', gelu, 'GELU()');
export const Softplus = (): Layer => new Activation('softplus', softplus, 'Softplus()');
/** SiLU (swish): x·σ(x) (torch.nn.SiLU). */
export const silu = (x: Tensor): Tensor => mul(x, sigmoid(x));
export const SiLU = (): Layer => new Activation('silu', silu, 'SiLU()');

export const ACTIVATIONS = { tanh: Tanh, sigmoid: Sigmoid, relu: ReLU, gelu: GELU, softplus: Softplus, silu: SiLU } as const;
export type ActivationName = keyof typeof ACTIVATIONS;

export function activation(name: string): Layer {
  const make = Object.hasOwn(ACTIVATIONS, name) ? (ACTIVATIONS as Record<string, () => Layer>)[name] : undefined;
  if (!make) throw new InputError(`unknown activation '${name}': expected one of ${Object.keys(ACTIVATIONS).join(', ')}`);
  return make();
}
