import { InputError } from '../../errors.js';
import type { Tensor } from '../../tensor/tensor.js';
import type { TrainingData } from '../../nn/chunk-source.js';
import type { Objective } from '../../nn/objective.js';
import type { Block } from '../blocks.js';
import type { LinearOperator } from '../linear-operator.js';
import { KroneckerCurvature, type KroneckerFitOptions } from './curvature.js';
import { kroneckerLayoutOf, type KroneckerLayout, type UnfactoredPolicy } from './layout.js';

/** What a caller chooses when an operator fits its Kronecker factors (the form follows the operator). */
export type KroneckerRequest = Omit<KroneckerFitOptions, 'form'>;

/**
 * An operator that can fit Kronecker-factored curvature of its own data part (the curvature
 * operators declare it, as they declare per-sample gradients for DataInf), so the kfac/ekfac
 * solvers and preconditioners need nothing but the operator. The form follows the operator:
 * Hessian and Gauss–Newton → the Gauss–Newton form (the exact expectation over the model's labels;
 * 'sampled-fisher' when fisherSamples is given), empirical Fisher → the given labels.
 */
export interface KroneckerFactored {
  fitKronecker(request: KroneckerRequest): KroneckerCurvature;
  /** The model's Kronecker layout now (to check a saved fit against). */
  kroneckerLayout(unfactored: UnfactoredPolicy): { layers: KroneckerLayout[]; unfactored: Block[] };
}

export function isKroneckerFactored(op: LinearOperator): op is LinearOperator & KroneckerFactored {
  const k = op as Partial<KroneckerFactored>;
  return typeof k.fitKronecker === 'function' && typeof k.kroneckerLayout === 'function';
}

/** The KroneckerFactored declaration of a curvature operator of `kind` on (objective, θ, data). */
export function kroneckerSource(objective: Objective, theta: Tensor, data: TrainingData, kind: 'gauss-newton' | 'empirical-fisher', batchSize: number): KroneckerFactored {
  return {
    fitKronecker(request) {
      if (kind === 'empirical-fisher' && request.fisherSamples !== undefined) {
        throw new InputError('K-FAC: fisherSamples draws labels from the model (the true Fisher); the empirical Fisher uses the given labels — drop one of them');
      }
      const form = kind === 'empirical-fisher' ? 'empirical-fisher' : request.fisherSamples !== undefined ? 'sampled-fisher' : 'gauss-newton';
      return KroneckerCurvature.fit(objective, theta, data, { batchSize, ...request, form });
    },
    kroneckerLayout: (unfactored) => kroneckerLayoutOf(objective.model, unfactored),
  };
}
