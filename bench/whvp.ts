import * as c from '../src/index.js';

/**
 * W-HVP (../shared/WORKLOADS.md): MLP 784 → 128 → tanh → 128 → tanh → 10, mean cross-entropy,
 * float32, 118,282 parameters, random inputs in [0, 1), random labels, random v. Times the
 * gradient, the HVP (forward-over-reverse and reverse-over-reverse) and the Gauss–Newton product.
 *
 * The quantities are timed interleaved (one call of each per round, rounds until the time budget
 * is spent), so a ratio such as HVP/gradient compares calls made under the same machine load.
 * Each row also reports the median process CPU time per call (less sensitive to other processes
 * on a shared machine than wall time) and the matmul flops of the quantity (`matmulFlops`).
 */
export interface WhvpRow {
  backend: string; batch: number; quantity: string; medianMs: number; samples: number; rme: number;
  /** Median CPU time of this process per call (user + system), ms. */
  cpuMs: number;
  /** Matmul flops of one call (the schedule the library runs; see matmulFlops). */
  gflop: number;
}

const WIDTHS = [784, 128, 128, 10];

export function whvpProblem(batch: number, seed = 0) {
  const model = c.Sequential.mlp(WIDTHS, 'tanh');
  const objective = new c.Objective(model, c.crossEntropyLoss, 0);
  const theta = c.keep(model.init({ seed, dtype: 'float32' }));
  const x = c.keep(c.randomUniform([batch, 784], { seed: seed + 1, dtype: 'float32' }));
  const labels = new c.Random(seed + 2);
  const y = c.keep(c.tensor(Int32Array.from({ length: batch }, () => labels.int(10)), [batch], 'int32'));
  const v = c.keep(c.randomNormal([model.numParams], { seed: seed + 3, dtype: 'float32' }));
  return { model, objective, theta, data: { x, y }, v };
}

/**
 * Matmul flops of each quantity for the W-HVP MLP, with Uᵢ = 2·B·dᵢ₋₁·dᵢ (one batch matmul of
 * layer i; the input is data, so layer 1 needs no input gradient):
 *   gradient 2U₁ + 3U₂ + 3U₃; HVP forward-over-reverse 3U₁ + 8U₂ + 8U₃ (the primal weight
 *   gradients are never formed); HVP reverse-over-reverse 4U₁ + 9U₂ + 9U₃ (gradient, then the
 *   backward pass of ⟨∇f, v⟩ through it); Gauss–Newton 3U₁ + 5U₂ + 5U₃.
 * These are the counts test/autodiff/cost.test.ts checks exactly (except reverse-over-reverse).
 */
export function matmulFlops(batch: number): Record<'gradient' | 'hvp' | 'hvpRR' | 'gn', number> {
  const u = (i: number) => 2 * batch * WIDTHS[i - 1]! * WIDTHS[i]!;
  const sum = (a: number, b: number) => a * u(1) + b * (u(2) + u(3));
  return { gradient: sum(2, 3), hvp: sum(3, 8), hvpRR: sum(4, 9), gn: sum(3, 5) };
}

const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;

/** Relative margin of error (95 %, normal approximation) of the mean, in percent. */
function rme(a: number[]): number {
  const m = a.reduce((p, q) => p + q, 0) / a.length;
  const sd = Math.sqrt(a.reduce((p, q) => p + (q - m) ** 2, 0) / Math.max(1, a.length - 1));
  return (100 * 1.96 * sd) / Math.sqrt(a.length) / m;
}

export function runWhvp(backend: string, batches: number[], maxTime: number): WhvpRow[] {
  c.setBackend(backend);
  const rows: WhvpRow[] = [];
  for (const batch of batches) {
    const p = whvpProblem(batch);
    const loss = (t: c.Tensor) => p.objective.dataLoss(t, p.data);
    const flops = matmulFlops(batch);
    const cases: [string, number, () => void][] = [
      ['gradient', flops.gradient, () => c.tidy(() => c.grad(loss, p.theta).dataSync())],
      ['HVP (forward-over-reverse)', flops.hvp, () => c.tidy(() => c.hvp(loss, p.theta, p.v).dataSync())],
      ['HVP (reverse-over-reverse)', flops.hvpRR, () => c.tidy(() => c.hvp(loss, p.theta, p.v, 'reverse-over-reverse').dataSync())],
      ['Gauss-Newton product', flops.gn, () => c.tidy(() => c.gnvp((t) => p.model.apply(t, p.data.x), (z) => c.crossEntropy(z, p.data.y), p.theta, p.v).dataSync())],
    ];
    const wall = cases.map(() => [] as number[]), cpu = cases.map(() => [] as number[]);
    for (const [, , fn] of cases) fn(); // warm-up
    const start = performance.now();
    for (let round = 0; round < 3 || (performance.now() - start < maxTime * 1000 * cases.length && round < 200); round++) {
      cases.forEach(([, , fn], i) => {
        const c0 = process.cpuUsage();
        const t0 = performance.now();
        fn();
        wall[i]!.push(performance.now() - t0);
        const d = process.cpuUsage(c0);
        cpu[i]!.push((d.user + d.system) / 1000);
      });
    }
    cases.forEach(([quantity, f], i) => {
      const row: WhvpRow = {
        backend, batch, quantity, medianMs: median(wall[i]!), samples: wall[i]!.length, rme: rme(wall[i]!),
        cpuMs: median(cpu[i]!), gflop: f / 1e9,
      };
      rows.push(row);
      console.log(`  [${backend}] B=${batch} ${quantity}: ${row.medianMs.toFixed(1)} ms wall, ${row.cpuMs.toFixed(1)} ms CPU (±${row.rme.toFixed(1)}%, ${row.samples} samples, ${row.gflop.toFixed(3)} GFLOP)`);
    });
    c.dispose([p.theta, p.data.x, p.data.y, p.v]);
  }
  return rows;
}
