import { getBackend } from '../backend/registry.js';
import { InputError } from '../errors.js';
import type { Dataset, Objective } from '../nn/objective.js';
import { Objective as ObjectiveClass } from '../nn/objective.js';
import { lossByName } from '../nn/losses.js';
import { Adam, SGD } from '../nn/optim/first-order.js';
import { saveSafetensors } from '../nn/state-dict.js';
import { fitLbfgs, fitMinibatch } from '../nn/train.js';
import { tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { selectBackend, writeJson } from './commands.js';
import { dtypeFlag, loadData, modelFrom, numberFlag, parse, required } from './model-args.js';
import { progress } from './progress.js';

export const TRAIN_FLAGS = {
  out: { type: 'string' }, optimizer: { type: 'string', default: 'lbfgs' },
  'grad-tol': { type: 'string', default: '1e-8' }, 'max-iter': { type: 'string', default: '2000' },
  epochs: { type: 'string', default: '20' }, lr: { type: 'string', default: '1e-3' }, momentum: { type: 'string', default: '0.9' },
  minibatch: { type: 'string', default: '128' }, seed: { type: 'string', default: '0' },
  'test-x': { type: 'string' }, 'test-y': { type: 'string' },
} as const;

/**
 * `curvature train`: fits an MLP (or logistic regression, `--arch D,K`) to J(θ) = mean loss +
 * (λ/2)‖θ‖² — full-batch L-BFGS (default, to ‖∇J‖ ≤ --grad-tol) or minibatch Adam/SGD — and saves
 * θ as a PyTorch state_dict in safetensors (metadata: arch, activation, loss, weight decay).
 */
export function trainCommand(argv: string[]): void {
  const flags = parse(argv, TRAIN_FLAGS);
  if (flags['model'] !== undefined) throw new InputError('train: --model is for reading weights; the trained model goes to --out');
  const backend = selectBackend(flags);
  const out = required(flags, 'out');
  const optimizer = String(flags['optimizer']);
  if (!['lbfgs', 'adam', 'sgd'].includes(optimizer)) throw new InputError(`--optimizer: expected lbfgs, adam or sgd, got '${optimizer}'`);
  const dtype = dtypeFlag(flags);
  const model = modelFrom(flags);
  const weightDecay = numberFlag(flags, 'weight-decay', { min: 0 });
  const seed = numberFlag(flags, 'seed', { integer: true, min: 0 });
  const t0 = performance.now();
  const { train, test, lossName, source } = loadData(flags, dtype, false);
  const objective = new ObjectiveClass(model, lossByName(lossName), weightDecay);
  objective.validate(train, 'training data');
  if (test) objective.validate(test, 'test data');
  const theta0 = model.init({ seed, dtype });
  const quiet = Boolean(flags['quiet']);
  const t1 = performance.now();
  let theta: Tensor;
  let info: Record<string, unknown>;
  if (optimizer === 'lbfgs') {
    const maxIter = numberFlag(flags, 'max-iter', { integer: true, min: 1 });
    const bar = progress('L-BFGS iterations', maxIter, { quiet });
    const r = fitLbfgs(objective, theta0, train, {
      gradTol: numberFlag(flags, 'grad-tol', { min: 0 }), maxIter,
      batchSize: numberFlag(flags, 'batch-size', { integer: true, min: 1 }),
      onIteration: () => bar.tick(),
    });
    bar.done();
    theta = r.theta;
    info = { iterations: r.result.iterations, gradNorm: r.result.gradNorm, converged: r.result.converged, message: r.result.message };
  } else {
    const epochs = numberFlag(flags, 'epochs', { integer: true, min: 1 }), lr = numberFlag(flags, 'lr', { min: 0 });
    const opt = optimizer === 'adam' ? new Adam(lr) : new SGD(lr, numberFlag(flags, 'momentum', { min: 0 }));
    const bar = progress(`${optimizer} epochs`, epochs, { quiet });
    const losses: number[] = [];
    theta = fitMinibatch(objective, theta0, train, opt, {
      epochs, batchSize: numberFlag(flags, 'minibatch', { integer: true, min: 1 }), seed,
      onEpoch: (_, loss) => { losses.push(loss); bar.tick(); },
    });
    bar.done();
    opt.dispose();
    info = { epochs, lr, epochLosses: losses };
  }
  const t2 = performance.now();
  saveSafetensors(out, model, theta, {
    arch: String(flags['arch']), activation: String(flags['activation']), loss: lossName, weight_decay: String(weightDecay),
  });
  const { value, grad } = objective.fullValueAndGrad(theta, train);
  let g2 = 0;
  for (const g of grad) g2 += g * g;
  writeJson(flags, {
    command: 'train', backend: backend ?? getBackend().name, optimizer, out, data: source,
    model: { arch: String(flags['arch']), activation: String(flags['activation']), loss: lossName, weightDecay, parameters: model.numParams },
    objective: value, gradNorm: Math.sqrt(g2),
    trainAccuracy: accuracy(objective, theta, train), testAccuracy: test ? accuracy(objective, theta, test) : null,
    ...info,
    timings: { loadSeconds: (t1 - t0) / 1000, trainSeconds: (t2 - t1) / 1000 },
  });
}

/** Classification accuracy (argmax for several outputs, logit > 0 for one); null for regression targets. */
export function accuracy(objective: Objective, theta: Tensor, data: Dataset): number | null {
  const k = objective.model.outFeatures;
  return tidy(() => {
    const z = objective.model.apply(theta, data.x).dataSync(), y = data.y.dataSync();
    const n = data.x.shape[0]!;
    if (data.y.dtype !== 'int32' && k !== 1) return null;
    let correct = 0;
    for (let i = 0; i < n; i++) {
      let pred: number;
      if (k === 1) pred = z[i]! > 0 ? 1 : 0;
      else { pred = 0; for (let c = 1; c < k; c++) if (z[i * k + c]! > z[i * k + pred]!) pred = c; }
      correct += Number(pred === y[i]);
    }
    return correct / n;
  });
}
