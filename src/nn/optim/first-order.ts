import { InputError } from '../../errors.js';
import { add, div, keep, mul, sqrt, sub, tidy, zerosLike } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';

/** A first-order optimiser on a flat parameter vector: `step(θ, ∇J) → θ'` (functional, θ is not mutated). */
export interface Optimizer {
  step(theta: Tensor, grad: Tensor): Tensor;
  /** Frees the optimiser's state tensors. */
  dispose(): void;
}

function replace(old: Tensor | null, next: Tensor): Tensor {
  old?.dispose();
  return keep(next);
}

/** SGD with heavy-ball momentum, PyTorch's form: v ← μv + g, θ ← θ − η·v. */
export class SGD implements Optimizer {
  private velocity: Tensor | null = null;
  constructor(readonly lr: number, readonly momentum = 0) {
    if (!(lr > 0)) throw new InputError(`SGD: learning rate must be > 0, got ${lr}`);
    if (!(momentum >= 0 && momentum < 1)) throw new InputError(`SGD: momentum must be in [0, 1), got ${momentum}`);
  }
  step(theta: Tensor, grad: Tensor): Tensor {
    return tidy(() => {
      if (this.momentum === 0) return sub(theta, mul(grad, this.lr));
      const v = this.velocity ? add(mul(this.velocity, this.momentum), grad) : add(grad, 0); // a copy: never own the caller's grad
      this.velocity = replace(this.velocity, v);
      return sub(theta, mul(v, this.lr));
    });
  }
  dispose(): void {
    this.velocity?.dispose();
    this.velocity = null;
  }
}

/** Adam (Kingma & Ba 2015, Alg. 1) with bias correction. */
export class Adam implements Optimizer {
  private m: Tensor | null = null;
  private v: Tensor | null = null;
  private t = 0;
  constructor(readonly lr = 1e-3, readonly beta1 = 0.9, readonly beta2 = 0.999, readonly eps = 1e-8) {
    if (!(lr > 0)) throw new InputError(`Adam: learning rate must be > 0, got ${lr}`);
  }
  step(theta: Tensor, grad: Tensor): Tensor {
    return tidy(() => {
      this.t++;
      const m0 = this.m ?? zerosLike(grad), v0 = this.v ?? zerosLike(grad);
      const m = add(mul(m0, this.beta1), mul(grad, 1 - this.beta1));
      const v = add(mul(v0, this.beta2), mul(mul(grad, grad), 1 - this.beta2));
      this.m = replace(this.m, m);
      this.v = replace(this.v, v);
      const mHat = div(m, 1 - this.beta1 ** this.t), vHat = div(v, 1 - this.beta2 ** this.t);
      return sub(theta, mul(div(mHat, add(sqrt(vHat), this.eps)), this.lr));
    });
  }
  dispose(): void {
    this.m?.dispose();
    this.v?.dispose();
    this.m = this.v = null;
  }
}
