import { getBackend } from '../backend/registry.js';
import { InputError } from '../errors.js';
import { encodeSafetensors } from '../io/safetensors.js';
import type { Dataset, Objective } from '../nn/objective.js';
import { Objective as ObjectiveClass } from '../nn/objective.js';
import { lossByName } from '../nn/losses.js';
import { Adam, SGD } from '../nn/optim/first-order.js';
import { stateDict } from '../nn/state-dict.js';
import { fitLbfgs, fitMinibatch } from '../nn/train.js';
import { tidy } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { loadData } from './data-args.js';
import { choiceFlag, dtypeFlag, numberFlag, required, type Flags } from './flags.js';
import { describeModel, graphArchitecture, modelOf, parseArch, settingsMetadata, shapedFor, type ModelInfo, type ModelSettings } from './model-args.js';
import { GraphModel } from '../nn/graph.js';
import type { Sequential } from '../nn/sequential.js';
import { OutputSet } from './outputs.js';
import { progress } from './progress.js';
import { selectBackend } from './select-backend.js';

/** --loss (the dataset's, else cross-entropy) and --weight-decay (0) of a model to train. */
function trainLoss(flags: Flags): { loss: string; weightDecay: number } {
  const data = String(flags['data'] ?? '');
  const loss = String(flags['loss'] ?? (data === 'breast-cancer' ? 'bce-with-logits' : 'cross-entropy'));
  lossByName(loss);
  return { loss, weightDecay: numberFlag(flags, 'weight-decay', { min: 0, default: 0 }) };
}

/** The settings `train` fits an MLP with: --arch (required), --activation (tanh), and trainLoss. */
function trainSettings(flags: Flags): ModelSettings {
  const arch = parseArch(required(flags, 'arch', 'layer widths, e.g. 784,16,10, or --arch-file graph.json'), '--arch');
  const activation = arch.length > 2 ? String(flags['activation'] ?? 'tanh') : null;
  if (flags['activation'] !== undefined && activation === null) throw new InputError(`--activation: a ${arch.join(',')} model has no hidden layer`);
  return { arch, activation, ...trainLoss(flags) };
}

/** What `train` fits: an MLP from --arch, or a JSON graph from --arch-file, with the metadata saved beside θ. */
function modelToTrain(flags: Flags): { model: Sequential | GraphModel; metadata: Record<string, string>; info: ModelInfo } {
  const graph = flags['arch-file'] !== undefined ? graphArchitecture(flags, {}, String(flags['arch-file'])) : null;
  if (graph) {
    const { loss, weightDecay } = trainLoss(flags);
    const metadata = { architecture: JSON.stringify(graph.model.toJSON()), loss, weight_decay: String(weightDecay) };
    return { model: graph.model, metadata, info: { arch: graph.source, activation: null, description: `graph ${graph.source}: ${graph.model.describe()}`, loss, weightDecay } };
  }
  const settings = trainSettings(flags);
  return {
    model: modelOf(settings), metadata: settingsMetadata(settings),
    info: { arch: settings.arch.join(','), activation: settings.activation, description: describeModel(settings), loss: settings.loss, weightDecay: settings.weightDecay },
  };
}

/**
 * `curvature train`: fits an MLP (or logistic regression, `--arch D,K`) to J(θ) = mean loss +
 * (λ/2)‖θ‖² — full-batch L-BFGS (default, to ‖∇J‖ ≤ --grad-tol) or minibatch Adam/SGD — and saves
 * θ as a PyTorch state_dict in safetensors, with the settings as metadata (arch, activation, loss,
 * weight decay) so that `influence` and `hvp` need no architecture flags.
 */
export function trainCommand(flags: Flags): number {
  const out = required(flags, 'out', 'where to save the trained model');
  const outputs = new OutputSet({ out, json: flags['json'] as string | undefined });
  const backend = selectBackend(flags);
  const optimizer = choiceFlag(flags, 'optimizer', ['lbfgs', 'adam', 'sgd'] as const, 'lbfgs');
  const dtype = dtypeFlag(flags);
  const { model, metadata, info: settings } = modelToTrain(flags);
  const seed = numberFlag(flags, 'seed', { integer: true, min: 0, default: 0 });
  const t0 = performance.now();
  const loaded = loadData(flags, dtype, settings.loss, false);
  const { source } = loaded;
  const train = model instanceof GraphModel ? shapedFor(model, loaded.train) : loaded.train;
  const test = loaded.test && model instanceof GraphModel ? shapedFor(model, loaded.test) : loaded.test;
  const objective = new ObjectiveClass(model, lossByName(settings.loss), settings.weightDecay);
  objective.validate(train, 'training data');
  if (test) objective.validate(test, 'test data');
  const theta0 = model.init({ seed, dtype });
  const quiet = Boolean(flags['quiet']);
  const t1 = performance.now();
  let theta: Tensor;
  let info: Record<string, unknown>;
  if (optimizer === 'lbfgs') {
    const maxIter = numberFlag(flags, 'max-iter', { integer: true, min: 1, default: 2000 });
    const bar = progress('L-BFGS iterations', maxIter, { quiet });
    const r = fitLbfgs(objective, theta0, train, {
      gradTol: numberFlag(flags, 'grad-tol', { min: 0, default: 1e-8 }), maxIter,
      batchSize: numberFlag(flags, 'batch-size', { integer: true, min: 1, default: 4096 }),
      onIteration: () => bar.tick(),
    });
    bar.done();
    theta = r.theta;
    info = { iterations: r.result.iterations, gradNorm: r.result.gradNorm, converged: r.result.converged, message: r.result.message };
  } else {
    const epochs = numberFlag(flags, 'epochs', { integer: true, min: 1, default: 20 }), lr = numberFlag(flags, 'lr', { min: 0, default: 1e-3 });
    const opt = optimizer === 'adam' ? new Adam(lr) : new SGD(lr, numberFlag(flags, 'momentum', { min: 0, default: 0.9 }));
    const bar = progress(`${optimizer} epochs`, epochs, { quiet });
    const losses: number[] = [];
    theta = fitMinibatch(objective, theta0, train, opt, {
      epochs, batchSize: numberFlag(flags, 'minibatch', { integer: true, min: 1, default: 128 }), seed,
      onEpoch: (_, loss) => { losses.push(loss); bar.tick(); },
    });
    bar.done();
    opt.dispose();
    info = { epochs, lr, epochLosses: losses };
  }
  const t2 = performance.now();
  const { value, grad } = objective.fullValueAndGrad(theta, train);
  let g2 = 0;
  for (const g of grad) g2 += g * g;
  const summary = {
    command: 'train', backend: backend ?? getBackend().name, optimizer, out, data: source,
    model: { ...settings, parameters: model.numParams },
    objective: value, gradNorm: Math.sqrt(g2),
    trainAccuracy: accuracy(objective, theta, train), testAccuracy: test ? accuracy(objective, theta, test) : null,
    ...info,
    timings: { loadSeconds: (t1 - t0) / 1000, trainSeconds: (t2 - t1) / 1000 },
  };
  outputs.stage('out', encodeSafetensors(stateDict(model, theta), metadata));
  const json = JSON.stringify(summary, null, 2) + '\n';
  outputs.stage('json', json);
  outputs.commit();
  if (flags['json'] === '-') process.stdout.write(json);
  else {
    const acc = (a: number | null): string => (a === null ? '' : `${(100 * a).toFixed(1)}%`);
    process.stdout.write(`trained ${summary.model.description} (${settings.loss}, weight decay ${settings.weightDecay}, ${model.numParams} parameters) with ${optimizer}: `
      + `J = ${value.toPrecision(6)}, ‖∇J‖ = ${summary.gradNorm.toExponential(2)}`
      + `${summary.trainAccuracy !== null ? `, train accuracy ${acc(summary.trainAccuracy)}` : ''}${summary.testAccuracy !== null && summary.testAccuracy !== undefined ? `, test accuracy ${acc(summary.testAccuracy)}` : ''}\n`
      + `saved to ${out} (its settings are stored in the file: influence and hvp need no --arch/--loss/--weight-decay)\n`);
  }
  return 0;
}

/** Classification accuracy (argmax for several outputs, logit > 0 for one); null for regression targets. */
export function accuracy(objective: Objective, theta: Tensor, data: Dataset): number | null {
  const k = objective.model.outFeatures;
  return tidy(() => {
    const z = objective.model.apply(theta, data.x).dataSync(), y = data.y.dataSync();
    const n = data.x.shape[0]!;
    if ((data.y.dtype !== 'int32' && k !== 1) || objective.loss.name === 'mse') return null;
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
