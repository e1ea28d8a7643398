/**
 * The W-IHVP workload (../shared/WORKLOADS.md): inverse-Hessian-vector products on the PyTorch
 * fixture mlp-small (784-16-10 tanh, 12,730 parameters, 5,000 Fashion-MNIST training images,
 * weight decay 1e-3, float64, exact Hessian, κ ≈ 7e5). For a solver: H⁻¹·grad_test[i] for the
 * first `points` test points, relative error against the fixture's dense-Cholesky ihvp_grad_test,
 * Pearson/Spearman of the influence matrix (points × 100 training points) against
 * influence_test_train, iterations, fit and solve wall time.
 *
 * With `damping` λ > 0 every solver solves (H + λI)·x = g against a reference computed here by CG
 * at rtol 1e-12 on H + λI — pyDVL's protocol (correlation with its own direct solver at the same
 * regularisation), the only one under which its published figures compare.
 *
 * Used by bench/wihvp.ts (timings per backend) and scripts/validate/solvers-mlp-small.ts (the
 * README's accuracy table).
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as c from '../src/index.js';
import { toFloat64 } from '../src/io/array.js';
import { loadFashionMnist } from '../src/io/datasets.js';
import { readSafetensors } from '../src/io/safetensors.js';
import { blocksFromModel } from '../src/operators/blocks.js';
import type { SolverName, SolverOptions } from '../src/solvers/registry.js';

const P = 12730;
const N_TRAIN_SCORED = 100;

export interface WihvpRow {
  backend: string; solver: string; damping: number; points: number; options: SolverOptions;
  relErrMedian: number; relErrMax: number; pearson: number; spearman: number;
  iterations: string; fitSeconds: number; solveSeconds: number; converged: boolean; note?: string;
  /** When the row was measured (rows of different runs are merged in bench/wihvp.json). */
  date?: string;
}

/** One named configuration of a registered solver. */
export interface SolverCase { label: string; solver: SolverName; options: SolverOptions; note?: string }

const cgTol = { rtol: 1e-9, maxIter: 20000, history: false };

/** Every solver of issue 4 in the configuration the accuracy table reports. */
export function solverCases(model: c.Sequential): SolverCase[] {
  return [
    { label: 'direct', solver: 'direct', options: {}, note: 'dense H from n HVPs + Cholesky' },
    { label: 'cg', solver: 'cg', options: cgTol },
    { label: 'cg+jacobi', solver: 'cg', options: { ...cgTol, preconditioner: 'jacobi', probes: 200 }, note: 'Hutchinson diagonal, 200 probes' },
    { label: 'cg+nystrom', solver: 'cg', options: { ...cgTol, preconditioner: 'nystrom', rank: 100 }, note: 'Nyström preconditioner, rank 100' },
    { label: 'block-cg', solver: 'block-cg', options: cgTol },
    { label: 'block-cg+nystrom', solver: 'block-cg', options: { ...cgTol, preconditioner: 'nystrom', rank: 100 } },
    { label: 'cg-block-diagonal', solver: 'cg', options: { ...cgTol, blockDiagonal: blocksFromModel(model) }, note: 'per-layer blocks' },
    { label: 'lissa-auto', solver: 'lissa', options: { auto: true, seed: 0, history: false }, note: 'η, T, batch from recommendLissa (003 Theorem 1), no tuning' },
    { label: 'neumann', solver: 'neumann', options: { maxIter: 2000, history: false }, note: '2,000 terms, σ = λ_max estimate' },
    { label: 'arnoldi-30', solver: 'arnoldi', options: { rank: 30, seed: 0 } },
    { label: 'arnoldi-50', solver: 'arnoldi', options: { rank: 50, seed: 0 } },
    { label: 'nystrom-30', solver: 'nystrom', options: { rank: 30, seed: 0 } },
    { label: 'nystrom-50', solver: 'nystrom', options: { rank: 50, seed: 0 } },
    { label: 'nystrom-30-q2', solver: 'nystrom', options: { rank: 30, seed: 0, powerIterations: 2 }, note: '2 power iterations' },
    { label: 'nystrom-50-q2', solver: 'nystrom', options: { rank: 50, seed: 0, powerIterations: 2 }, note: '2 power iterations' },
    { label: 'datainf', solver: 'datainf', options: {}, note: 'per layer' },
    { label: 'diagonal', solver: 'diagonal', options: { probes: 200, seed: 0 }, note: 'Hutchinson diagonal, 200 probes' },
  ];
}

function relErr(a: Float64Array, b: Float64Array): number {
  let d = 0, n = 0;
  for (let i = 0; i < a.length; i++) { d += (a[i]! - b[i]!) ** 2; n += b[i]! ** 2; }
  return Math.sqrt(d / n);
}

export class WihvpProblem {
  readonly model = c.Sequential.mlp([784, 16, 10], 'tanh');
  readonly objective = new c.Objective(this.model, c.crossEntropyLoss, 1e-3);
  readonly theta: c.Tensor;
  readonly train: c.Dataset;
  readonly op: c.LinearOperator;
  /** The fixture's scalars (hessian_trace, hessian_lambda_max, …). */
  readonly meta: Record<string, number>;
  readonly eigenvaluesDesc: Float64Array;
  private readonly b: c.Tensor;
  private readonly gTrain: Float64Array;
  private readonly wantX: Float64Array;
  private readonly wantInfluence: Float64Array;
  /** How the reference was obtained. */
  readonly reference: string;

  /** Loads the fixture on the current backend; `points` test points (≤ 10), optional damping λ. */
  constructor(readonly points = 10, readonly damping = 0) {
    if (!(points >= 1 && points <= 10)) throw new c.InputError(`W-IHVP: points must be 1..10, got ${points}`);
    const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
    const file = readSafetensors(join(root, 'test', 'fixtures', 'mlp-small.safetensors'));
    const arr = (k: string): Float64Array => toFloat64(file.tensors.get(k)!).data;
    this.meta = JSON.parse(file.metadata['json'] ?? '{}') as Record<string, number>;
    this.eigenvaluesDesc = arr('eigenvalues_desc');
    const d = loadFashionMnist({ split: 'train', limit: 5000 });
    this.train = c.tidy(() => ({
      x: c.keep(c.tensor(Float64Array.from(d.x.data as Uint8Array, (v) => v / 255), [5000, 784], 'float64')),
      y: c.keep(c.tensor(d.y.data as Int32Array, [5000], 'int32')),
    }));
    this.theta = c.tensor(arr('theta'), [P], 'float64');
    this.op = c.hessianOperator(this.objective, this.theta, this.train, { batchSize: 5000 });
    const gTest = arr('grad_test').subarray(0, points * P);
    this.b = c.tidy(() => c.transpose(c.tensor(gTest, [points, P], 'float64')));
    this.gTrain = c.tidy(() => this.objective.perSampleGradients(this.theta, c.batchOf(this.train, 0, N_TRAIN_SCORED)).dataSync()) as Float64Array;
    if (damping > 0) {
      const t0 = performance.now();
      const r = c.cg(this.op, this.b, { damping, rtol: 1e-12, maxIter: 50000, history: false });
      this.wantX = c.tidy(() => c.transpose(r.x).dataSync()) as Float64Array;
      r.x.dispose();
      this.wantInfluence = this.influenceOf(this.wantX);
      this.reference = `CG on H + ${damping}·I at rtol 1e-12 (${r.iterations} iterations, ${((performance.now() - t0) / 1000).toFixed(0)} s)`;
    } else {
      this.wantX = arr('ihvp_grad_test').subarray(0, points * P);
      this.wantInfluence = arr('influence_test_train').subarray(0, points * N_TRAIN_SCORED);
      this.reference = "the fixture's dense Cholesky solve (PyTorch float64)";
    }
  }

  /** I_up,loss = −x_iᵀ·g_j for the solutions x_i (rows) and the first 100 training gradients g_j. */
  private influenceOf(x: Float64Array): Float64Array {
    const out = new Float64Array(this.points * N_TRAIN_SCORED);
    for (let i = 0; i < this.points; i++) {
      for (let j = 0; j < N_TRAIN_SCORED; j++) {
        let s = 0;
        for (let k = 0; k < P; k++) s += x[i * P + k]! * this.gTrain[j * P + k]!;
        out[i * N_TRAIN_SCORED + j] = -s;
      }
    }
    return out;
  }

  /** Fits and runs one solver case; the damping of the problem is added to its options. */
  run(sc: SolverCase): WihvpRow {
    const options: SolverOptions = this.damping > 0 ? { ...sc.options, damping: this.damping } : sc.solver === 'datainf' ? { ...sc.options, damping: 1e-3 } : sc.options;
    const t0 = performance.now();
    const solver = c.fitSolver(sc.solver, this.op, options);
    const t1 = performance.now();
    const r = solver.solve(this.b);
    const t2 = performance.now();
    const x = c.tidy(() => c.transpose(r.x).dataSync()) as Float64Array;
    r.x.dispose();
    solver.dispose();
    const errs = Array.from({ length: this.points }, (_, i) => relErr(x.subarray(i * P, (i + 1) * P), this.wantX.subarray(i * P, (i + 1) * P))).sort((a, b) => a - b);
    const influence = this.influenceOf(x);
    const perColumn = (r.info ?? {})['perColumn'] as { iterations: number }[] | undefined;
    const iterations = perColumn && perColumn.length > 1
      ? `${Math.min(...perColumn.map((p) => p.iterations))}–${Math.max(...perColumn.map((p) => p.iterations))}` : String(r.iterations);
    const mid = (this.points - 1) / 2;
    const note = sc.solver === 'datainf' && this.damping === 0 ? `${sc.note}, λ = 1e-3 on top of the weight decay` : sc.note;
    return {
      backend: c.getBackend().name, solver: sc.label, damping: this.damping, points: this.points, options,
      relErrMedian: (errs[Math.floor(mid)]! + errs[Math.ceil(mid)]!) / 2, relErrMax: errs[this.points - 1]!,
      pearson: c.pearson(influence, this.wantInfluence), spearman: c.spearman(influence, this.wantInfluence), iterations,
      fitSeconds: (t1 - t0) / 1000, solveSeconds: (t2 - t1) / 1000, converged: r.converged, ...(note ? { note } : {}),
    };
  }
}

export const WIHVP_HEADER = '| backend | solver | λ | rel err (median) | rel err (max) | Pearson | Spearman | iterations | fit s | solve s | converged | note |\n|---|---|---|---|---|---|---|---|---|---|---|---|';

export function formatWihvpRow(r: WihvpRow): string {
  return `| ${r.backend} | ${r.solver} | ${r.damping} | ${r.relErrMedian.toExponential(1)} | ${r.relErrMax.toExponential(1)} | ${r.pearson.toFixed(4)} | ${r.spearman.toFixed(4)} | ${r.iterations} | ${r.fitSeconds.toFixed(1)} | ${r.solveSeconds.toFixed(1)} | ${r.converged} | ${r.note ?? ''} |`;
}
