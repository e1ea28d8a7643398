import { InputError } from '../errors.js';
import { concat, reshape, slice, tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { restrictToBlock, type Block } from '../operators/blocks.js';
import { KroneckerCurvature, kroneckerOperator, type KroneckerOperator } from '../operators/kronecker/index.js';
import { isKroneckerFactored, type KroneckerFactored, type KroneckerRequest } from '../operators/kronecker/source.js';
import { splitShift, type LinearOperator } from '../operators/linear-operator.js';
import { rhsBlock, restoreShape, trueResidual } from './common.js';
import type { FittedSolver, SolverState } from './types.js';
import type { Preconditioner } from './preconditioners.js';

/**
 * The kfac and ekfac solvers: x = (K + (shift + λ_l)·I)⁻¹·b exactly for the Kronecker-factored
 * approximation K of the operator's data part (K-FAC, Martens & Grosse 2015; EK-FAC, George et
 * al. 2018), block-diagonal by layer, in the Kronecker eigenbasis: per layer four GEMMs over all
 * right-hand sides. shift is the operator's declared weight decay + damping (DAMPING in
 * linear-operator.ts); λ_l the solver's damping, per block, or Kronfluence's heuristic
 * λ_l = 0.1 × the mean eigenvalue of the block. Parameters of layers it cannot factor are an
 * UnsupportedLayerError, or, with a fallback solver, solved by that solver on the operator's
 * diagonal block.
 */

export interface KroneckerSolverOptions {
  corrected: boolean;
  damping: number;
  perBlockDamping?: readonly number[] | undefined;
  dampingHeuristic?: boolean | undefined;
  fisherSamples?: number | undefined;
  seed?: number | undefined;
  /** The solver (by name) for parameters of layers K-FAC cannot factor; absent: UnsupportedLayerError. */
  fallback?: string | undefined;
  computeResidual?: boolean | undefined;
  onBatch?: (() => void) | undefined;
}

/** Fits or restores a solver on a block of the operator (the registry's fitSolver/restoreSolver, passed down to avoid a cycle). */
export type BlockSolverFactory = (op: LinearOperator, damping: number, state?: SolverState) => FittedSolver;

function method(o: KroneckerSolverOptions): 'kfac' | 'ekfac' {
  return o.corrected ? 'ekfac' : 'kfac';
}

export function kroneckerFactoredOf(op: LinearOperator, name: string): LinearOperator & KroneckerFactored {
  if (isKroneckerFactored(op)) return op;
  throw new InputError(`solver '${name}' needs an operator that fits Kronecker factors from the model's layers (hessianOperator, gaussNewtonOperator, empiricalFisherOperator)`);
}

function request(o: KroneckerSolverOptions): KroneckerRequest {
  return {
    corrected: o.corrected, unfactored: o.fallback ? 'skip' : 'error',
    ...(o.fisherSamples !== undefined ? { fisherSamples: o.fisherSamples } : {}), ...(o.seed !== undefined ? { seed: o.seed } : {}),
    ...(o.onBatch ? { onBatch: o.onBatch } : {}),
  };
}

/** The damping λ_l of every block of the Kronecker operator (θ order: factored layers and unfactored ranges). */
function blockDamping(kop: KroneckerOperator, o: KroneckerSolverOptions): number[] {
  const blocks = kop.blocks;
  if (o.perBlockDamping) {
    if (o.perBlockDamping.length !== blocks.length) {
      throw new InputError(`${method(o)}: perBlockDamping has ${o.perBlockDamping.length} entries for ${blocks.length} blocks (${blocks.map((b) => b.name).join(', ')})`);
    }
    return [...o.perBlockDamping];
  }
  if (!o.dampingHeuristic) return blocks.map(() => o.damping);
  const c = kop.curvature;
  return blocks.map((b) => {
    const i = c.layers.findIndex((l) => l.offset === b.offset);
    if (i < 0) return o.damping;
    const ev = c.eigenvalues(i).dataSync();
    let s = 0;
    for (let j = 0; j < ev.length; j++) s += ev[j]!;
    return 0.1 * (s / ev.length);
  });
}

/** Fits K-FAC or EK-FAC for `op` and returns the solver. */
export function fitKroneckerSolver(op: LinearOperator, o: KroneckerSolverOptions, fitBlock: BlockSolverFactory): FittedSolver {
  const source = kroneckerFactoredOf(op, method(o));
  const curvature = source.fitKronecker(request(o));
  try {
    return kroneckerSolver(op, curvature, o, fitBlock, null);
  } catch (err) {
    curvature.dispose();
    throw err;
  }
}

/** The solver rebuilt from its state (kroneckerSolver(...).state()), for the same operator and options. */
export function restoreKroneckerSolver(op: LinearOperator, o: KroneckerSolverOptions, state: SolverState, fitBlock: BlockSolverFactory): FittedSolver {
  const source = kroneckerFactoredOf(op, method(o));
  const layout = source.kroneckerLayout(o.fallback ? 'skip' : 'error');
  const savedMethod = state.info['method'];
  if (savedMethod !== method(o)) throw new InputError(`solver '${method(o)}': the saved state is of ${JSON.stringify(savedMethod)}`);
  const own: Record<string, Tensor> = {}, fallbackTensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(state.tensors)) (k.startsWith('fallback.') ? fallbackTensors : own)[k] = t;
  const curvature = KroneckerCurvature.fromState({ tensors: own, info: state.info['kronecker'] as Record<string, unknown> ?? {} }, layout.layers, layout.unfactored, op.size);
  const fallbackInfo = (state.info['fallback'] ?? []) as { offset: number; info: Record<string, unknown> }[];
  return kroneckerSolver(op, curvature, o, fitBlock, { tensors: fallbackTensors, info: fallbackInfo });
}

function kroneckerSolver(op: LinearOperator, curvature: KroneckerCurvature, o: KroneckerSolverOptions, fitBlock: BlockSolverFactory,
  savedFallback: { tensors: Record<string, Tensor>; info: { offset: number; info: Record<string, unknown> }[] } | null): FittedSolver {
  const name = method(o);
  const { shift } = splitShift(op);
  const kop = kroneckerOperator(curvature, { shift });
  const lambdas = blockDamping(kop, o);
  const factored = (b: Block): boolean => curvature.layers.some((l) => l.offset === b.offset);
  // Rows of unfactored blocks are the fallback's: the inverse only needs a finite value there.
  const inverse = kop.inverse(kop.blocks.map((b, i) => (factored(b) || shift + lambdas[i]! > 0 ? lambdas[i]! : 1))) as LinearOperator & { dispose(): void };
  // Unfactored blocks (with a fallback): the fallback solver on the operator's diagonal block, λ_l added.
  const fallbacks: { block: Block; solver: FittedSolver }[] = [];
  try {
    kop.blocks.forEach((b, i) => {
      if (factored(b)) return;
      const saved = savedFallback ? fallbackState(savedFallback, b) : undefined;
      fallbacks.push({ block: b, solver: fitBlock(restrictToBlock(op, b.offset, b.size), lambdas[i]!, saved) });
    });
  } catch (err) {
    inverse.dispose();
    fallbacks.forEach((f) => f.solver.dispose());
    throw err;
  }
  const info = {
    form: curvature.form, layers: curvature.layers.length, shift, damping: lambdas, ...(curvature.form === 'sampled-fisher' ? { fisherSamples: curvature.fisherSamples, seed: curvature.seed } : {}),
    ...(Object.keys(curvature.timings).length ? { stageMs: curvature.timings } : {}),
    ...(fallbacks.length ? { fallback: fallbacks.map((f) => ({ block: f.block.name, size: f.block.size, method: f.solver.method })) } : {}),
  };
  return {
    method: name,
    solve(b) {
      const bb = rhsBlock(op, b, name);
      const x = tidy(() => {
        const k = inverse.matmat!(bb);
        if (fallbacks.length === 0) return k;
        // Replace the unfactored blocks' rows with the fallback's solution.
        const pieces: Tensor[] = [];
        let at = 0;
        const cols = bb.shape[1]!;
        for (const f of fallbacks) {
          if (f.block.offset > at) pieces.push(slice(k, [at, 0], [f.block.offset - at, cols]));
          const sub = slice(bb, [f.block.offset, 0], [f.block.size, cols]);
          const r = f.solver.solve(sub);
          pieces.push(reshape(r.x, [f.block.size, cols]));
          at = f.block.offset + f.block.size;
        }
        if (at < op.size) pieces.push(slice(k, [at, 0], [op.size - at, cols]));
        return concat(pieces, 0);
      });
      return {
        x: restoreShape(x, b), method: name, iterations: 0, converged: true,
        residualNorm: o.computeResidual ? trueResidual(op, o.damping, bb, x) : NaN,
        info: { ...info, ...(o.computeResidual ? {} : { residual: 'not computed (computeResidual: true costs one product per column)' }) },
      };
    },
    state(): SolverState {
      const st = curvature.state();
      const tensors: Record<string, Tensor> = { ...st.tensors };
      const fb: { offset: number; info: Record<string, unknown> }[] = [];
      for (const f of fallbacks) {
        const s = f.solver.state?.();
        if (!s) throw new InputError(`${name}: the fallback solver '${f.solver.method}' cannot be saved`);
        for (const [k, t] of Object.entries(s.tensors)) tensors[`fallback.${f.block.offset}.${k}`] = t;
        fb.push({ offset: f.block.offset, info: s.info });
      }
      return { tensors, info: { method: name, stages: st.info['stages'], kronecker: st.info, damping: lambdas, ...(fb.length ? { fallback: fb } : {}) } };
    },
    dispose() {
      inverse.dispose();
      curvature.dispose();
      fallbacks.forEach((f) => f.solver.dispose());
    },
  };
}

function fallbackState(saved: { tensors: Record<string, Tensor>; info: { offset: number; info: Record<string, unknown> }[] }, b: Block): SolverState {
  const entry = saved.info.find((e) => e.offset === b.offset);
  if (!entry) throw new InputError(`K-FAC: the saved fit has no fallback state for block '${b.name}' at offset ${b.offset}`);
  const prefix = `fallback.${b.offset}.`;
  const tensors: Record<string, Tensor> = {};
  for (const [k, t] of Object.entries(saved.tensors)) if (k.startsWith(prefix)) tensors[k.slice(prefix.length)] = t;
  return { tensors, info: entry.info };
}

/**
 * K-FAC or EK-FAC as a preconditioner for CG on the operator itself: M = K + (shift + λ)·I, applied
 * exactly in the Kronecker eigenbasis, so CG converges to the exact solve of (A + λI)·x = b in far
 * fewer iterations when K captures A's spectrum. Layers it cannot factor get M = (shift + λ)·I
 * there (the identity when that is 0): a preconditioner only needs to be symmetric positive definite.
 */
export function kroneckerPreconditioner(op: LinearOperator, o: { corrected: boolean; damping: number; fisherSamples?: number | undefined; seed?: number | undefined; onBatch?: (() => void) | undefined },
  restored?: SolverState): Preconditioner {
  const kind: 'kfac' | 'ekfac' = o.corrected ? 'ekfac' : 'kfac';
  const source = kroneckerFactoredOf(op, `cg with preconditioner '${kind}'`);
  let curvature: KroneckerCurvature;
  if (restored) {
    const layout = source.kroneckerLayout('skip');
    curvature = KroneckerCurvature.fromState({ tensors: restored.tensors, info: (restored.info['kronecker'] ?? {}) as Record<string, unknown> }, layout.layers, layout.unfactored, op.size);
  } else {
    curvature = source.fitKronecker({
      corrected: o.corrected, unfactored: 'skip', ...(o.fisherSamples !== undefined ? { fisherSamples: o.fisherSamples } : {}),
      ...(o.seed !== undefined ? { seed: o.seed } : {}), ...(o.onBatch ? { onBatch: o.onBatch } : {}),
    });
  }
  const { shift } = splitShift(op);
  const kop = kroneckerOperator(curvature, { shift });
  let inverse: LinearOperator & { dispose(): void };
  try {
    inverse = kop.inverse(kop.blocks.map((b) => (curvature.layers.some((l) => l.offset === b.offset) || shift + o.damping > 0 ? o.damping : 1))) as LinearOperator & { dispose(): void };
  } catch (err) {
    curvature.dispose();
    throw err;
  }
  const info = { form: curvature.form, layers: curvature.layers.length, unfactoredBlocks: curvature.unfactored.length, ...(Object.keys(curvature.timings).length ? { stageMs: curvature.timings } : {}) };
  const fn = (r: Tensor): Tensor => (r.rank === 1 ? inverse.matvec(r) : inverse.matmat!(r));
  return Object.assign(fn, {
    acceptsBlocks: true as const, kind, info,
    state: (): SolverState => {
      const st = curvature.state();
      return { tensors: st.tensors, info: { kind, kronecker: st.info, info } };
    },
    dispose: () => { inverse.dispose(); curvature.dispose(); },
  });
}
