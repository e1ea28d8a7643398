/**
 * Loading what a command works on: the model's settings (from the model file's metadata, the
 * flags, or both — they must agree), its weights, its objective and the data.
 */
import type { DType } from '../backend/types.js';
import { InputError } from '../errors.js';
import { readSafetensors } from '../io/safetensors.js';
import { lossByName } from '../nn/losses.js';
import { Objective, type Dataset } from '../nn/objective.js';
import { Sequential } from '../nn/sequential.js';
import { loadStateDict } from '../nn/state-dict.js';
import type { Tensor } from '../tensor/tensor.js';
import { loadData, type DataSource } from './data-args.js';
import { dtypeFlag, numberFlag, parseNumber, required, type Flags } from './flags.js';
import { warn } from './warnings.js';

export { dtypeFlag, numberFlag, required, type Flags } from './flags.js';

/** The settings that define the training objective; `curvature train` stores them in the model file. */
export interface ModelSettings {
  arch: number[];
  /** Null for a model with no hidden layer (logistic or softmax regression). */
  activation: string | null;
  loss: string;
  weightDecay: number;
}

export function parseArch(text: string, what: string): number[] {
  const arch = text.split(',').map((s) => Number(s.trim()));
  if (arch.length < 2 || arch.some((w) => !Number.isInteger(w) || w < 1)) {
    throw new InputError(`${what}: expected comma-separated layer widths like 784,16,10, got '${text}'`);
  }
  return arch;
}

/** "logistic regression 30 → 1", "softmax regression 784 → 10", "MLP 784-16-10, tanh". */
export function describeModel(s: Pick<ModelSettings, 'arch' | 'activation' | 'loss'>): string {
  if (s.arch.length === 2) {
    const kind = s.loss === 'mse' ? 'linear regression' : s.arch[1] === 1 ? 'logistic regression' : 'softmax regression';
    return `${kind} ${s.arch[0]} → ${s.arch[1]}`;
  }
  return `MLP ${s.arch.join('-')}, ${s.activation}`;
}

export function modelOf(s: ModelSettings): Sequential {
  return Sequential.mlp(s.arch, s.activation ?? 'tanh');
}

/**
 * The model's settings: each from its flag or from the model file's metadata. A flag that
 * contradicts the metadata is an InputError, unless --override-metadata (then a warning); a
 * setting in neither is an InputError naming it — never a silent default such as weight decay 0.
 * `datasetLoss` is the loss a bundled dataset implies (--data), used when neither names one.
 */
export function resolveSettings(flags: Flags, metadata: Record<string, string>, modelPath: string, datasetLoss?: string): ModelSettings {
  const override = Boolean(flags['override-metadata']);
  const pick = (flagName: string, metaKey: string, same: (a: string, b: string) => boolean): string | undefined => {
    const given = typeof flags[flagName] === 'string' ? String(flags[flagName]) : undefined;
    const stored = Object.hasOwn(metadata, metaKey) ? metadata[metaKey] : undefined;
    if (given !== undefined && stored !== undefined && !same(given, stored)) {
      if (!override) {
        throw new InputError(`--${flagName} ${given} contradicts the model file ${modelPath}, which was trained with ${metaKey} ${stored}; drop the flag, or pass --override-metadata to use it anyway`);
      }
      warn(`using --${flagName} ${given} instead of the model file's ${metaKey} ${stored} (--override-metadata)`);
    }
    return given ?? stored;
  };
  const missing = (flagName: string, what: string): never => {
    throw new InputError(`${modelPath} does not record its ${what} (no '${flagName.replace('-', '_')}' metadata): pass --${flagName}`);
  };
  const archText = pick('arch', 'arch', (a, b) => parseArch(a, '--arch').join() === parseArch(b, `${modelPath} metadata arch`).join()) ?? missing('arch', 'architecture');
  const arch = parseArch(archText, flags['arch'] !== undefined ? '--arch' : `${modelPath} metadata arch`);
  let activation: string | null = null;
  if (arch.length > 2) activation = pick('activation', 'activation', (a, b) => a === b) ?? missing('activation', 'hidden activation');
  else if (flags['activation'] !== undefined) warn(`--activation ${String(flags['activation'])} is ignored: a ${arch.join(',')} model has no hidden layer`);
  const loss = pick('loss', 'loss', (a, b) => a === b) ?? datasetLoss ?? missing('loss', 'loss');
  lossByName(loss);
  const wdText = pick('weight-decay', 'weight_decay', (a, b) => Number(a) === Number(b)) ?? missing('weight-decay', 'weight decay');
  const weightDecay = parseNumber(flags['weight-decay'] !== undefined ? '--weight-decay' : `${modelPath} metadata weight_decay`, wdText, { min: 0 });
  return { arch, activation, loss, weightDecay };
}

/** The metadata `curvature train` writes into the model file (resolveSettings reads it back). */
export function settingsMetadata(s: ModelSettings): Record<string, string> {
  return { arch: s.arch.join(','), ...(s.activation ? { activation: s.activation } : {}), loss: s.loss, weight_decay: String(s.weightDecay) };
}

export interface LoadedProblem {
  model: Sequential;
  settings: ModelSettings;
  objective: Objective;
  theta: Tensor;
  train: Dataset;
  /** The test split, when --data names a dataset or --test-x/--test-y are given. */
  test: Dataset | null;
  source: DataSource;
  lossName: string;
  dtype: DType;
}

/** The model (settings + safetensors weights), its objective, and the data. */
export function loadProblem(flags: Flags, needTest = false): LoadedProblem {
  const dtype = dtypeFlag(flags);
  const modelPath = required(flags, 'model');
  const file = readSafetensors(modelPath);
  const datasetLoss = flags['data'] === 'breast-cancer' ? 'bce-with-logits' : String(flags['data'] ?? '').startsWith('fashion-mnist') ? 'cross-entropy' : undefined;
  const settings = resolveSettings(flags, file.metadata, modelPath, datasetLoss);
  const model = modelOf(settings);
  const { train, test, source } = loadData(flags, dtype, settings.loss, needTest);
  const objective = new Objective(model, lossByName(settings.loss), settings.weightDecay);
  const theta = loadStateDict(model, file.tensors, dtype, modelPath);
  objective.validate(train, 'training data');
  if (test) objective.validate(test, 'test data');
  return { model, settings, objective, theta, train, test, source, lossName: settings.loss, dtype };
}

