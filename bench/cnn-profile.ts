import * as c from '../src/index.js';
import { cnnArrays, cnnProblem, type CnnConfig } from './cnn-problem.js';

/**
 * Where W-CNN's time goes (bench/cnn.ts's problem), per backend: each piece of the forward pass
 * timed alone (im2col gather = unfold2d, the GEMM, the NCHW layout copy, ReLU, max-pooling — itself
 * an unfold2d + max — and the linear layer), and each piece's forward + backward (the gradient of
 * ⟨piece(input), r⟩ with respect to its input and parameters), beside the whole gradient. Median of
 * interleaved rounds, ms; one thread.
 *
 *   node dist/bench/cnn-profile.js [--backends native,wasm] [--configs issue15,W-CNN] [--rounds 9]
 */
const arg = (name: string): string | undefined => { const i = process.argv.indexOf(name); return i >= 0 ? process.argv[i + 1] : undefined; };
const backends = (arg('--backends') ?? 'native,wasm').split(',');
const CONFIGS: CnnConfig[] = [{ name: 'issue15', c1: 4, c2: 8 }, { name: 'W-CNN', c1: 16, c2: 32 }];
const configs = CONFIGS.filter((k) => (arg('--configs') ?? 'issue15').split(',').includes(k.name));
const R = Number(arg('--rounds') ?? 9);
const median = (a: number[]): number => [...a].sort((p, q) => p - q)[Math.floor(a.length / 2)]!;

for (const cfg of configs) {
  const a = cnnArrays(cfg, 256);
  for (const backend of backends) {
    c.setBackend(backend);
    const p = cnnProblem(a);
    const L = p.model.layers as readonly c.Layer[];
    const conv1 = L[0] as c.Conv2d, conv2 = L[3] as c.Conv2d, pool = L[2] as c.MaxPool2d, lin = L[7] as c.Linear;
    const params = (i: number) => p.model.flatParams.filter((f) => f.layer === i).map((f) => c.keep(c.reshape(c.slice(p.theta, [f.offset], [f.size]), f.shape)));
    const [w1, b1] = params(0), [w2, b2] = params(3), [w3, b3] = params(7);
    // Activations of the real forward pass, kept as inputs of the pieces.
    const x = p.data.x;
    const a1 = c.keep(conv1.apply([w1!, b1!], x)), r1 = c.keep(c.relu(a1)), h1 = c.keep(pool.apply([], r1));
    const a2 = c.keep(conv2.apply([w2!, b2!], h1)), r2 = c.keep(c.relu(a2)), h2 = c.keep(pool.apply([], r2));
    const f2 = c.keep(c.reshape(h2, [256, cfg.c2 * 49]));
    const cols1 = c.keep(c.unfold2d(x, conv1.geometry)), cols2 = c.keep(c.unfold2d(h1, conv2.geometry));
    const W1 = c.keep(c.reshape(w1!, [cfg.c1, 9])), W2 = c.keep(c.reshape(w2!, [cfg.c2, cfg.c1 * 9]));
    const y1 = c.keep(c.matmul(cols1, W1, { transB: true })), y2 = c.keep(c.matmul(cols2, W2, { transB: true }));
    const obj = (t: c.Tensor) => p.objective.value(t, p.data);
    const vjpOf = (f: (...ts: c.Tensor[]) => c.Tensor, ...ins: c.Tensor[]) => () => {
      const { value, pullback } = c.vjp((xs: c.Tensor[]) => f(...xs), ins);
      for (const g of pullback(c.onesLike(value)) as c.Tensor[]) g.dataSync();
    };
    const pieces: [string, () => void][] = [
      ['whole gradient', () => { c.grad(obj, p.theta).dataSync(); }],
      ['conv1 im2col (unfold2d) fwd', () => { c.unfold2d(x, conv1.geometry).dataSync(); }],
      ['conv1 GEMM fwd', () => { c.matmul(cols1, W1, { transB: true }).dataSync(); }],
      ['conv1 bias+NHWC→NCHW fwd', () => { c.transpose(c.reshape(c.add(y1, b1!), [256, 28, 28, cfg.c1]), [0, 3, 1, 2]).dataSync(); }],
      ['conv1 whole fwd', () => { conv1.apply([w1!, b1!], x).dataSync(); }],
      ['conv1 whole fwd+bwd (w, b)', vjpOf((w, b) => conv1.apply([w!, b!], x), w1!, b1!)],
      ['relu1 fwd+bwd', vjpOf((t) => c.relu(t!), a1)],
      ['pool1 fwd', () => { pool.apply([], r1).dataSync(); }],
      ['pool1 fwd+bwd', vjpOf((t) => pool.apply([], t!), r1)],
      ['conv2 im2col (unfold2d) fwd', () => { c.unfold2d(h1, conv2.geometry).dataSync(); }],
      ['conv2 im2col fwd+bwd (col2im)', vjpOf((t) => c.unfold2d(t!, conv2.geometry), h1)],
      ['conv2 GEMM fwd', () => { c.matmul(cols2, W2, { transB: true }).dataSync(); }],
      ['conv2 bias+NHWC→NCHW fwd', () => { c.transpose(c.reshape(c.add(y2, b2!), [256, 14, 14, cfg.c2]), [0, 3, 1, 2]).dataSync(); }],
      ['conv2 whole fwd', () => { conv2.apply([w2!, b2!], h1).dataSync(); }],
      ['conv2 whole fwd+bwd (x, w, b)', vjpOf((t, w, b) => conv2.apply([w!, b!], t!), h1, w2!, b2!)],
      ['relu2 fwd+bwd', vjpOf((t) => c.relu(t!), a2)],
      ['pool2 fwd+bwd', vjpOf((t) => pool.apply([], t!), r2)],
      ['linear+CE fwd+bwd', vjpOf((t, w, b) => c.crossEntropy(lin.apply([w!, b!], t!), p.data.y), f2, w3!, b3!)],
    ];
    const times = pieces.map(() => [] as number[]);
    for (const [, fn] of pieces) c.tidy(fn);
    for (let r = 0; r < R; r++) pieces.forEach(([, fn], i) => { const t0 = performance.now(); c.tidy(fn); times[i]!.push(performance.now() - t0); });
    console.log(`\n${cfg.name} (c1=${cfg.c1}, c2=${cfg.c2}) on ${backend}, median of ${R} interleaved rounds:`);
    pieces.forEach(([name], i) => console.log(`  ${name.padEnd(34)} ${median(times[i]!).toFixed(2).padStart(8)} ms`));
    p.dispose();
  }
}
process.exit(0);
