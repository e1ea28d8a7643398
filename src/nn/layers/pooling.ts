import { InputError, ShapeError } from '../../errors.js';
import { greater, max, mean, ones, reshape, toBackend, where } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { Layer, LayerSpec } from '../module.js';
import { convOutputSize, unfold2d, type ConvGeometry } from './unfold.js';
import { maxPool2d, poolWindowsInside } from '../../tensor/ops/conv.js';

export interface Pool2dOptions {
  /** Default: the kernel size (PyTorch's default). */
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
}

const pair = (v: number | readonly [number, number], what: string, min: number): [number, number] => {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x) && x >= min)) throw new InputError(`pooling: ${what} must be integers ≥ ${min}, got ${JSON.stringify(v)}`);
  return p;
};

/**
 * 2-d pooling over NCHW inputs as a reduction of each channel's patches (unfold2d with the channels
 * moved into the batch): differentiable in every mode through the patch gather and the reduction.
 */
abstract class Pool2d implements Layer {
  abstract readonly kind: string;
  readonly params = [];
  readonly geometry: ConvGeometry;

  constructor(kernelSize: number | [number, number], options: Pool2dOptions = {}) {
    const kernel = pair(kernelSize, 'kernel_size', 1);
    this.geometry = {
      kernel, stride: pair(options.stride ?? kernel, 'stride', 1), padding: pair(options.padding ?? 0, 'padding', 0),
      dilation: pair(options.dilation ?? 1, 'dilation', 1),
    };
    if (this.geometry.padding.some((p, a) => 2 * p > kernel[a]!)) {
      throw new InputError(`pooling: padding ${this.geometry.padding.join('×')} must be at most half the kernel ${kernel.join('×')} (as PyTorch requires)`);
    }
  }

  outputShape(input: readonly number[]): number[] {
    if (input.length !== 4) throw new ShapeError(`${this.describe()}: expected inputs [N, C, H, W], got [${input.join(', ')}]`);
    const [ho, wo] = convOutputSize(this.geometry, input[2]!, input[3]!);
    if (ho < 1 || wo < 1) throw new ShapeError(`${this.describe()}: input [${input.join(', ')}] is smaller than the kernel`);
    return [input[0]!, input[1]!, ho, wo];
  }

  /** Each channel's patches [n·C, Ho·Wo, kh·kw] and the output shape. */
  protected patches(x: Tensor): { cols: Tensor; shape: number[] } {
    const shape = this.outputShape(x.shape);
    const [n, ch, h, w] = x.shape as [number, number, number, number];
    return { cols: unfold2d(reshape(x, [n * ch, 1, h, w]), this.geometry), shape };
  }

  abstract apply(params: readonly Tensor[], x: Tensor): Tensor;

  init(): Float64Array[] {
    return [];
  }

  abstract describe(): string;

  spec(): LayerSpec {
    const g = this.geometry;
    return { kind: this.kind, kernelSize: [...g.kernel], stride: [...g.stride], padding: [...g.padding], dilation: [...g.dilation] };
  }

  protected args(): string {
    const g = this.geometry;
    return `kernel_size=(${g.kernel.join(', ')}), stride=(${g.stride.join(', ')})${g.padding.some(Boolean) ? `, padding=(${g.padding.join(', ')})` : ''}` +
      `${g.dilation.some((d) => d !== 1) ? `, dilation=(${g.dilation.join(', ')})` : ''}`;
  }
}

/** torch.nn.MaxPool2d: the largest value of each window; padding counts as −∞ (never chosen). */
export class MaxPool2d extends Pool2d {
  readonly kind = 'maxpool2d';

  apply(_params: readonly Tensor[], x: Tensor): Tensor {
    const shape = this.outputShape(x.shape);
    // The window argmax and a gather (no patch matrix; derivatives exact at every order, the first
    // largest value of a window taking them at ties, as PyTorch); else patches and a max reduction.
    if ((x.dtype === 'float32' || x.dtype === 'float64') && poolWindowsInside(this.geometry, x.shape[2]!, x.shape[3]!)) {
      return maxPool2d(x, this.geometry);
    }
    const { cols } = this.patches(x);
    let v = cols;
    if (this.geometry.padding.some(Boolean)) {
      // Padding positions read 0 in the patches; mask them out with −∞ (they are where a patch of ones reads 0).
      const one = ones([1, 1, x.shape[2]!, x.shape[3]!], x.dtype);
      const inside = unfold2d(one.backend === x.backend ? one : toBackend(one, x.backend.name), this.geometry);
      v = where(greater(inside, 0), cols, -Infinity);
    }
    return reshape(max(v, 2), shape);
  }

  describe(): string {
    return `MaxPool2d(${this.args()})`;
  }
}

/** torch.nn.AvgPool2d with its defaults (count_include_pad = True): the mean of each window, padding as zeros. */
export class AvgPool2d extends Pool2d {
  readonly kind = 'avgpool2d';

  apply(_params: readonly Tensor[], x: Tensor): Tensor {
    const { cols, shape } = this.patches(x);
    return reshape(mean(cols, 2), shape);
  }

  describe(): string {
    return `AvgPool2d(${this.args()})`;
  }
}

