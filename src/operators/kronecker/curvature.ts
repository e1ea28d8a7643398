import type { FloatDType } from '../../backend/types.js';
import { InputError } from '../../errors.js';
import { keep, outer, tidy } from '../../tensor/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { TrainingData } from '../../nn/chunk-source.js';
import type { Objective } from '../../nn/objective.js';
import type { Block } from '../blocks.js';
import { KRONECKER_FORMS, type KroneckerForm } from './activity.js';
import { kroneckerLayoutOf, type KroneckerLayout, type UnfactoredPolicy } from './layout.js';
import { eigendecompose, fitCorrections, fitCovariances, type Covariances, type Eigenbases, type StageOptions } from './stages.js';

export type KroneckerStage = 'covariances' | 'eigendecompositions' | 'corrections';

export interface KroneckerFitOptions {
  /** How G's output gradients are formed (see KroneckerForm). Default 'gauss-newton'. */
  form?: KroneckerForm;
  /** 'sampled-fisher': labels drawn per example. Default 1. */
  fisherSamples?: number;
  /** Seeds the sampled labels. Default 0. */
  seed?: number;
  /** Examples per batch of the passes. Default 1024. */
  batchSize?: number;
  /** Fit EK-FAC's eigenvalue corrections too (one more pass). Default false (K-FAC). */
  corrected?: boolean;
  /** A parameterised layer that is not Linear: UnsupportedLayerError ('error', default) or left out ('skip'). */
  unfactored?: UnfactoredPolicy;
  /** Called after every batch of every pass (progress). */
  onBatch?: () => void;
  /** Called when a stage is done, with its wall time in ms. */
  onStage?: (stage: KroneckerStage, ms: number) => void;
}

/** One Linear layer's fitted stages. */
export interface KroneckerLayer extends KroneckerLayout, Covariances, Eigenbases {
  /** EK-FAC's Λ [out, inDim]; null for K-FAC. */
  readonly corrections: Tensor | null;
}

/** A fit's tensors by stage name and its JSON-able facts (the shape of a solver state). */
export interface KroneckerState {
  tensors: Record<string, Tensor>;
  info: Record<string, unknown>;
}

const STAGE_TENSORS: Record<KroneckerStage, readonly (keyof KroneckerLayer)[]> = {
  covariances: ['A', 'G'],
  eigendecompositions: ['qA', 'lambdaA', 'qG', 'lambdaG'],
  corrections: ['corrections'],
};

const now = (): number => (typeof performance !== 'undefined' ? performance.now() : Date.now());

/**
 * Kronecker-factored curvature of a training objective's data loss: per Linear layer, A ⊗ G
 * (K-FAC; Martens & Grosse 2015) or its eigenvalue-corrected form (EK-FAC; George et al. 2018),
 * fitted in stages — covariances (one pass), eigendecompositions, corrections (one more pass) —
 * from the layers' captured inputs and output gradients; kroneckerOperator(curvature) is its operator, block-diagonal by layer.
 * The object owns its tensors until dispose().
 */
export class KroneckerCurvature {
  private eigenvalueCache: (Tensor | null)[];

  private constructor(
    readonly n: number,
    readonly form: KroneckerForm,
    readonly fisherSamples: number,
    readonly seed: number,
    readonly layers: readonly KroneckerLayer[],
    /** Parameter ranges of layers it did not factor ('skip'): its operator holds only the shift there. */
    readonly unfactored: readonly Block[],
    readonly numParams: number,
    readonly dtype: FloatDType,
    /** Wall time of each stage fitted in this process, ms. */
    readonly timings: Partial<Record<KroneckerStage, number>>,
  ) {
    this.eigenvalueCache = layers.map(() => null);
  }

  get corrected(): boolean {
    return this.layers.every((l) => l.corrections !== null);
  }

  /** Fits the stages on `data` (in memory or a ChunkSource) at θ. */
  static fit(objective: Objective, theta: Tensor, data: TrainingData, options: KroneckerFitOptions = {}): KroneckerCurvature {
    const form = options.form ?? 'gauss-newton';
    if (!KRONECKER_FORMS.includes(form)) throw new InputError(`K-FAC: form must be one of ${KRONECKER_FORMS.join(', ')}, got '${String(form)}'`);
    const fisherSamples = options.fisherSamples ?? 1;
    if (!Number.isSafeInteger(fisherSamples) || fisherSamples < 1) throw new InputError(`fisherSamples must be an integer ≥ 1, got ${fisherSamples}`);
    const seed = options.seed ?? 0;
    if (!Number.isSafeInteger(seed) || seed < 0) throw new InputError(`seed must be an integer ≥ 0, got ${seed}`);
    if (theta.dtype === 'int32') throw new InputError('K-FAC: θ must be float32 or float64');
    const { layers: layouts, unfactored } = kroneckerLayoutOf(objective.model, options.unfactored ?? 'error');
    const stage: StageOptions = { form, fisherSamples, seed, batchSize: options.batchSize ?? 1024, ...(options.onBatch ? { onBatch: options.onBatch } : {}) };
    const timings: Partial<Record<KroneckerStage, number>> = {};
    const timed = <T>(name: KroneckerStage, f: () => T): T => {
      const t0 = now();
      const r = f();
      timings[name] = now() - t0;
      options.onStage?.(name, timings[name]!);
      return r;
    };
    const owned: Tensor[] = [];
    try {
      const cov = timed('covariances', () => fitCovariances(objective, theta, data, layouts, stage));
      cov.layers.forEach((c) => owned.push(c.A, c.G));
      const bases = timed('eigendecompositions', () => cov.layers.map((c) => {
        const e = eigendecompose(c);
        owned.push(e.qA, e.lambdaA, e.qG, e.lambdaG);
        return e;
      }));
      const corrections = options.corrected ? timed('corrections', () => fitCorrections(objective, theta, data, layouts, bases, stage)) : null;
      const layers = layouts.map((l, i) => ({ ...l, ...cov.layers[i]!, ...bases[i]!, corrections: corrections?.[i] ?? null }));
      return new KroneckerCurvature(cov.n, form, fisherSamples, seed, layers, unfactored, objective.model.numParams, theta.dtype as FloatDType, timings);
    } catch (err) {
      owned.forEach((t) => t.dispose());
      throw err;
    }
  }

  /** The block's eigenvalues [out, inDim]: Λ (EK-FAC) or λ_G·λ_Aᵀ (K-FAC). Owned by the curvature. */
  eigenvalues(index: number): Tensor {
    const l = this.layers[index];
    if (!l) throw new InputError(`K-FAC: no layer ${index} (it has ${this.layers.length})`);
    if (l.corrections) return l.corrections;
    return (this.eigenvalueCache[index] ??= tidy(() => keep(outer(l.lambdaG, l.lambdaA))));
  }

  /** The fitted stages as named tensors (`<stage>.<layer>.<tensor>`, still owned by this object) and facts. */
  state(): KroneckerState {
    const tensors: Record<string, Tensor> = {};
    for (const l of this.layers) {
      for (const [stage, names] of Object.entries(STAGE_TENSORS)) {
        for (const name of names) {
          const t = l[name] as Tensor | null;
          if (t) tensors[`${stage}.${l.name}.${name}`] = t;
        }
      }
    }
    return {
      tensors,
      info: {
        n: this.n, form: this.form, fisherSamples: this.fisherSamples, seed: this.seed, corrected: this.corrected,
        layers: this.layers.map(layoutOf), unfactored: this.unfactored.map((b) => ({ ...b })), stages: this.corrected ? Object.keys(STAGE_TENSORS) : ['covariances', 'eigendecompositions'],
      },
    };
  }

  /**
   * A curvature rebuilt from state() tensors (takes ownership of them) for the given layout (the
   * model's now: a saved layout that differs is an InputError naming the layer).
   */
  static fromState(state: KroneckerState, layouts: readonly KroneckerLayout[], unfactored: readonly Block[], numParams: number): KroneckerCurvature {
    const info = state.info;
    const saved = info['layers'];
    if (JSON.stringify(saved) !== JSON.stringify(layouts.map(layoutOf))) {
      throw new InputError(`K-FAC: the saved layers ${JSON.stringify(saved)} differ from the model's ${JSON.stringify(layouts.map(layoutOf))}`);
    }
    const form = info['form'] as KroneckerForm;
    if (!KRONECKER_FORMS.includes(form)) throw new InputError(`K-FAC: the saved form ${JSON.stringify(form)} is not one of ${KRONECKER_FORMS.join(', ')}`);
    const corrected = info['corrected'] === true;
    const take = (l: KroneckerLayout, stage: KroneckerStage, name: string, shape: readonly number[]): Tensor => {
      const t = state.tensors[`${stage}.${l.name}.${name}`];
      if (!t || t.rank !== shape.length || t.shape.some((d, i) => d !== shape[i])) {
        throw new InputError(`K-FAC: the saved stage '${stage}' of layer '${l.name}' has no ${name} of shape [${shape.join(', ')}] (got ${t ? `[${t.shape.join(', ')}]` : 'none'})`);
      }
      return t;
    };
    const layers = layouts.map((l) => ({
      ...l,
      A: take(l, 'covariances', 'A', [l.inDim, l.inDim]), G: take(l, 'covariances', 'G', [l.outFeatures, l.outFeatures]),
      qA: take(l, 'eigendecompositions', 'qA', [l.inDim, l.inDim]), lambdaA: take(l, 'eigendecompositions', 'lambdaA', [l.inDim]),
      qG: take(l, 'eigendecompositions', 'qG', [l.outFeatures, l.outFeatures]), lambdaG: take(l, 'eigendecompositions', 'lambdaG', [l.outFeatures]),
      corrections: corrected ? take(l, 'corrections', 'corrections', [l.outFeatures, l.inDim]) : null,
    }));
    const dtype = layers[0]!.A.dtype as FloatDType;
    return new KroneckerCurvature(Number(info['n']), form, Number(info['fisherSamples'] ?? 1), Number(info['seed'] ?? 0), layers, unfactored, numParams, dtype, {});
  }

  dispose(): void {
    for (const l of this.layers) for (const t of [l.A, l.G, l.qA, l.lambdaA, l.qG, l.lambdaG, l.corrections]) t?.dispose();
    for (const t of this.eigenvalueCache) t?.dispose();
    this.eigenvalueCache = this.layers.map(() => null);
  }
}

function layoutOf(l: KroneckerLayout): KroneckerLayout {
  return { name: l.name, offset: l.offset, size: l.size, inFeatures: l.inFeatures, outFeatures: l.outFeatures, bias: l.bias, inDim: l.inDim };
}
