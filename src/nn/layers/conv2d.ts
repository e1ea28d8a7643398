import { InputError, ShapeError } from '../../errors.js';
import { add, concat, matmul, reshape, slice, sum, transpose } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { KroneckerView, Layer, LayerActivity, LayerSpec, ParamSpec } from '../module.js';
import { convOutputSize, unfold2d, type ConvGeometry } from './unfold.js';

export interface Conv2dOptions {
  stride?: number | [number, number];
  padding?: number | [number, number];
  dilation?: number | [number, number];
  groups?: number;
  bias?: boolean;
}

const pair = (v: number | readonly [number, number], what: string, min: number): [number, number] => {
  const p: [number, number] = typeof v === 'number' ? [v, v] : [v[0], v[1]];
  if (!p.every((x) => Number.isInteger(x) && x >= min)) throw new InputError(`Conv2d: ${what} must be integers ≥ ${min}, got ${JSON.stringify(v)}`);
  return p;
};

/**
 * torch.nn.Conv2d: inputs [N, C_in, H, W] → [N, C_out, H_out, W_out], weight [C_out, C_in/groups, kh, kw],
 * bias [C_out], with stride, zero padding, dilation and groups. Computed as im2col + GEMM
 * (unfold2d), per group. Its capture rule gives per-example gradients from the unfolded input and
 * the output gradient (δᵢ per position times the patches, summed over positions), and with one
 * group it offers K-FAC its Kronecker view: patches as inputs and positions as rows (KFC, Grosse &
 * Martens 2016).
 */
export class Conv2d implements Layer {
  readonly kind = 'conv2d';
  readonly params: readonly ParamSpec[];
  readonly geometry: ConvGeometry;
  readonly groups: number;
  readonly bias: boolean;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: number | [number, number], options: Conv2dOptions = {}) {
    if (!Number.isInteger(inChannels) || !Number.isInteger(outChannels) || inChannels < 1 || outChannels < 1) {
      throw new ShapeError(`Conv2d: channel counts must be positive integers, got (${inChannels}, ${outChannels})`);
    }
    this.groups = options.groups ?? 1;
    if (!Number.isInteger(this.groups) || this.groups < 1 || inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new InputError(`Conv2d: groups ${this.groups} must divide both channel counts (${inChannels}, ${outChannels})`);
    }
    this.geometry = {
      kernel: pair(kernelSize, 'kernel_size', 1), stride: pair(options.stride ?? 1, 'stride', 1),
      padding: pair(options.padding ?? 0, 'padding', 0), dilation: pair(options.dilation ?? 1, 'dilation', 1),
    };
    this.bias = options.bias ?? true;
    const [kh, kw] = this.geometry.kernel;
    const weight = { name: 'weight', shape: [outChannels, inChannels / this.groups, kh, kw] };
    this.params = this.bias ? [weight, { name: 'bias', shape: [outChannels] }] : [weight];
  }

  /** Columns of one group's weight matrix: (C_in/groups)·kh·kw. */
  get patchSize(): number {
    return (this.inChannels / this.groups) * this.geometry.kernel[0] * this.geometry.kernel[1];
  }

  private checkInput(x: Tensor): void {
    if (x.rank !== 4 || x.shape[1] !== this.inChannels) {
      throw new ShapeError(`${this.describe()}: expected inputs [N, ${this.inChannels}, H, W], got [${x.shape.join(', ')}]`);
    }
  }

  outputShape(input: readonly number[]): number[] {
    if (input.length !== 4 || input[1] !== this.inChannels) {
      throw new ShapeError(`${this.describe()}: expected inputs [N, ${this.inChannels}, H, W], got [${input.join(', ')}]`);
    }
    const [ho, wo] = convOutputSize(this.geometry, input[2]!, input[3]!);
    if (ho < 1 || wo < 1) throw new ShapeError(`${this.describe()}: input [${input.join(', ')}] is smaller than the kernel`);
    return [input[0]!, this.outChannels, ho, wo];
  }

  /** Group g's slice of patches [n, L, C·kk] → [n, L, patchSize] (patch rows are channel-major). */
  private groupPatches(cols: Tensor, g: number): Tensor {
    if (this.groups === 1) return cols;
    const [n, l] = cols.shape as [number, number, number];
    return slice(cols, [0, 0, g * this.patchSize], [n, l, this.patchSize]);
  }

  apply(params: readonly Tensor[], x: Tensor): Tensor {
    this.checkInput(x);
    const [n, , h, w] = x.shape as [number, number, number, number];
    const [ho, wo] = convOutputSize(this.geometry, h, w);
    const cols = unfold2d(x, this.geometry);                          // [n, L, C·kk]
    const wFlat = reshape(params[0]!, [this.outChannels, this.patchSize]);
    const perGroup = this.outChannels / this.groups;
    const outs: Tensor[] = [];
    for (let g = 0; g < this.groups; g++) {
      const wg = this.groups === 1 ? wFlat : slice(wFlat, [g * perGroup, 0], [perGroup, this.patchSize]);
      outs.push(matmul(this.groupPatches(cols, g), wg, { transB: true })); // [n, L, out/g]
    }
    let y = outs.length === 1 ? outs[0]! : concat(outs, 2);
    if (this.bias) y = add(y, params[1]!);
    return transpose(reshape(y, [n, ho, wo, this.outChannels]), [0, 3, 1, 2]);
  }

  /** δ [n, C_out, Ho, Wo] as rows per position [n, L, C_out]. */
  private outputRows(d: Tensor): Tensor {
    const [n, c, ho, wo] = d.shape as [number, number, number, number];
    return reshape(transpose(d, [0, 2, 3, 1]), [n, ho * wo, c]);
  }

  /**
   * The capture rule: example i's weight gradient Σₜ δᵢₜ·patchᵢₜᵀ per group (one batched GEMM) and
   * bias gradient Σₜ δᵢₜ, flattened as [C_out, C_in/groups, kh, kw] then [C_out].
   */
  perExampleGradients(_params: readonly Tensor[], { input, outputGrad }: LayerActivity): Tensor {
    const n = input.shape[0]!;
    const cols = unfold2d(input, this.geometry);
    const d = this.outputRows(outputGrad);                             // [n, L, C_out]
    const perGroup = this.outChannels / this.groups;
    const blocks: Tensor[] = [];
    for (let g = 0; g < this.groups; g++) {
      const dg = this.groups === 1 ? d : slice(d, [0, 0, g * perGroup], [n, d.shape[1]!, perGroup]);
      blocks.push(matmul(dg, this.groupPatches(cols, g), { transA: true })); // [n, out/g, patchSize]
    }
    const weight = reshape(blocks.length === 1 ? blocks[0]! : concat(blocks, 1), [n, this.outChannels * this.patchSize]);
    return this.bias ? concat([weight, sum(d, 1)], 1) : weight;
  }

  /**
   * K-FAC's view (one group): the weight is the matrix [C_out, C_in·kh·kw] applied to every patch,
   * so the patches are the inputs and each output position a row — A over unfolded patches and G
   * over spatial positions (KFC, Grosse & Martens 2016). Grouped convolutions have no single
   * Kronecker factorisation here (null: K-FAC then needs a fallback for this layer).
   */
  kroneckerView(): KroneckerView | null {
    if (this.groups !== 1) return null;
    return {
      inFeatures: this.patchSize, outFeatures: this.outChannels, bias: this.bias,
      patches: (a) => unfold2d(a, this.geometry),
      outputRows: (d) => this.outputRows(d),
    };
  }

  /** PyTorch's default: U(−1/√fan_in, 1/√fan_in) for weight and bias, fan_in = C_in/groups·kh·kw. */
  init(rng: { uniform(): number }): Float64Array[] {
    const bound = 1 / Math.sqrt(this.patchSize);
    return this.params.map((p) => Float64Array.from({ length: p.shape.reduce((a, b) => a * b, 1) }, () => (2 * rng.uniform() - 1) * bound));
  }

  spec(): LayerSpec {
    const g = this.geometry;
    return {
      kind: this.kind, inChannels: this.inChannels, outChannels: this.outChannels, kernelSize: [...g.kernel],
      stride: [...g.stride], padding: [...g.padding], dilation: [...g.dilation], groups: this.groups, bias: this.bias,
    };
  }

  describe(): string {
    const g = this.geometry;
    const extra = [
      g.stride.some((s) => s !== 1) ? `stride=(${g.stride.join(', ')})` : '', g.padding.some((p) => p !== 0) ? `padding=(${g.padding.join(', ')})` : '',
      g.dilation.some((d) => d !== 1) ? `dilation=(${g.dilation.join(', ')})` : '', this.groups !== 1 ? `groups=${this.groups}` : '', this.bias ? '' : 'bias=False',
    ].filter(Boolean);
    return `Conv2d(${this.inChannels}, ${this.outChannels}, kernel_size=(${g.kernel.join(', ')})${extra.length ? `, ${extra.join(', ')}` : ''})`;
  }
}
