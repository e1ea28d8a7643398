import { InputError, ShapeError } from '../../errors.js';
import { gather, matmul, oneHot, reshape, tensor, toBackend } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { KroneckerView, Layer, LayerActivity, LayerSpec, ParamSpec } from '../module.js';

/**
 * torch.nn.Embedding: integer ids [N, …] → rows of the weight [num_embeddings, embedding_dim],
 * output [N, …, embedding_dim]. Ids may come as int32 or as whole numbers in a float tensor (how
 * a dataset of token ids loads); anything else is an InputError naming the first bad id.
 * Per-example gradients in closed form: example i's weight gradient is Σₜ onehot(idᵢₜ)·δᵢₜᵀ
 * (one batched GEMM of the one-hot ids with δ).
 */
export class Embedding implements Layer {
  readonly kind = 'embedding';
  readonly params: readonly ParamSpec[];

  constructor(readonly numEmbeddings: number, readonly embeddingDim: number) {
    if (!Number.isInteger(numEmbeddings) || !Number.isInteger(embeddingDim) || numEmbeddings < 1 || embeddingDim < 1) {
      throw new ShapeError(`Embedding: sizes must be positive integers, got (${numEmbeddings}, ${embeddingDim})`);
    }
    this.params = [{ name: 'weight', shape: [numEmbeddings, embeddingDim] }];
  }

  outputShape(input: readonly number[]): number[] {
    if (input.length < 1) throw new ShapeError(`${this.describe()}: expected ids [N, …], got a scalar`);
    return [...input, this.embeddingDim];
  }

  /** The ids as a flat int32 tensor on x's backend, checked to be whole numbers in [0, num_embeddings). */
  private ids(x: Tensor): Tensor {
    if (x.dtype === 'int32') return reshape(x, [-1]);
    const values = x.dataSync();
    const ids = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i]!;
      if (!Number.isInteger(v) || v < 0 || v >= this.numEmbeddings) {
        throw new InputError(`${this.describe()}: ids must be whole numbers in [0, ${this.numEmbeddings}), got ${v} at element ${i}`);
      }
      ids[i] = v;
    }
    const t = tensor(ids, [ids.length], 'int32');
    return t.backend === x.backend ? t : toBackend(t, x.backend.name);
  }

  apply(params: readonly Tensor[], x: Tensor): Tensor {
    return reshape(gather(params[0]!, this.ids(x)), this.outputShape(x.shape));
  }

  /** gᵢ = Σₜ onehot(idᵢₜ)·δᵢₜᵀ, flattened [n, num_embeddings·embedding_dim]. */
  perExampleGradients(_params: readonly Tensor[], { input, outputGrad }: LayerActivity): Tensor {
    const n = input.shape[0]!;
    const positions = input.size / n;
    const hot = reshape(oneHot(this.ids(input), this.numEmbeddings, outputGrad.dtype as 'float32' | 'float64'), [n, positions, this.numEmbeddings]);
    const d = reshape(outputGrad, [n, positions, this.embeddingDim]);
    return reshape(matmul(hot, d, { transA: true }), [n, this.numEmbeddings * this.embeddingDim]);
  }

  /**
   * K-FAC's view: a lookup is the table's transpose [dim, num_embeddings] applied to one-hot rows,
   * so A = E[Σₜ onehot·onehotᵀ] (the diagonal of id frequencies, held dense: fine for vocabularies
   * of a few thousand) and G over the positions' output gradients; the table is stored [in, out].
   */
  kroneckerView(): KroneckerView {
    return {
      inFeatures: this.numEmbeddings, outFeatures: this.embeddingDim, bias: false, weightLayout: 'in-out',
      patches: (input) => {
        const n = input.shape[0]!;
        return reshape(oneHot(this.ids(input), this.numEmbeddings, input.dtype === 'float32' ? 'float32' : 'float64'), [n, input.size / n, this.numEmbeddings]);
      },
      outputRows: (d) => reshape(d, [d.shape[0]!, -1, this.embeddingDim]),
    };
  }

  /** PyTorch's initialisation: N(0, 1) (Box–Muller on the seeded generator). */
  init(rng: { uniform(): number }): Float64Array[] {
    const w = new Float64Array(this.numEmbeddings * this.embeddingDim);
    for (let i = 0; i < w.length; i++) {
      const u = Math.max(rng.uniform(), Number.MIN_VALUE);
      w[i] = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng.uniform());
    }
    return [w];
  }

  spec(): LayerSpec {
    return { kind: this.kind, numEmbeddings: this.numEmbeddings, embeddingDim: this.embeddingDim };
  }

  describe(): string {
    return `Embedding(${this.numEmbeddings}, ${this.embeddingDim})`;
  }
}
