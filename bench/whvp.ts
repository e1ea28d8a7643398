import Benchmark from 'benchmark';
import * as c from '../src/index.js';

/**
 * W-HVP (../shared/WORKLOADS.md): MLP 784 → 128 → tanh → 128 → tanh → 10, mean cross-entropy,
 * float32, 118,282 parameters, random inputs in [0, 1), random labels, random v. Times the
 * gradient, the HVP (forward-over-reverse and reverse-over-reverse) and the Gauss–Newton product.
 */
export interface WhvpRow { backend: string; batch: number; quantity: string; medianMs: number; samples: number; rme: number }

export function whvpProblem(batch: number, seed = 0) {
  const model = c.Sequential.mlp([784, 128, 128, 10], 'tanh');
  const objective = new c.Objective(model, c.crossEntropyLoss, 0);
  const theta = c.keep(model.init({ seed, dtype: 'float32' }));
  const x = c.keep(c.randomUniform([batch, 784], { seed: seed + 1, dtype: 'float32' }));
  const labels = new c.Random(seed + 2);
  const y = c.keep(c.tensor(Int32Array.from({ length: batch }, () => labels.int(10)), [batch], 'int32'));
  const v = c.keep(c.randomNormal([model.numParams], { seed: seed + 3, dtype: 'float32' }));
  return { model, objective, theta, data: { x, y }, v };
}

export function runWhvp(backend: string, batches: number[], maxTime: number): WhvpRow[] {
  c.setBackend(backend);
  const rows: WhvpRow[] = [];
  for (const batch of batches) {
    const p = whvpProblem(batch);
    const loss = (t: c.Tensor) => p.objective.dataLoss(t, p.data);
    const cases: [string, () => void][] = [
      ['gradient', () => c.tidy(() => c.grad(loss, p.theta).dataSync())],
      ['HVP (forward-over-reverse)', () => c.tidy(() => c.hvp(loss, p.theta, p.v).dataSync())],
      ['HVP (reverse-over-reverse)', () => c.tidy(() => c.hvp(loss, p.theta, p.v, 'reverse-over-reverse').dataSync())],
      ['Gauss-Newton product', () => c.tidy(() => c.gnvp((t) => p.model.apply(t, p.data.x), (z) => c.crossEntropy(z, p.data.y), p.theta, p.v).dataSync())],
    ];
    for (const [quantity, fn] of cases) {
      const bench = new Benchmark(quantity, fn, { maxTime, minSamples: 3, initCount: 1 });
      bench.run();
      const st = bench.stats;
      const sorted = [...st.sample].sort((a, b) => a - b);
      const median = sorted[Math.floor(sorted.length / 2)]! * 1000;
      rows.push({ backend, batch, quantity, medianMs: median, samples: st.sample.length, rme: st.rme });
      console.log(`  [${backend}] B=${batch} ${quantity}: ${median.toFixed(1)} ms (±${st.rme.toFixed(1)}%, ${st.sample.length} samples)`);
    }
  }
  return rows;
}
