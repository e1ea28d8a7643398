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
import { GraphModel } from '../nn/graph.js';
import type { Model } from '../nn/model.js';
import { loadOnnx } from '../nn/onnx/index.js';
import { reshape, tensor } from '../tensor/index.js';
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
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
  const { pick, missing } = settingPicker(flags, metadata, modelPath);
  const archText = pick('arch', 'arch', (a, b) => parseArch(a, '--arch').join() === parseArch(b, `${modelPath} metadata arch`).join()) ?? missing('arch', 'architecture');
  const arch = parseArch(archText, flags['arch'] !== undefined ? '--arch' : `${modelPath} metadata arch`);
  let activation: string | null = null;
  if (arch.length > 2) activation = pick('activation', 'activation', (a, b) => a === b) ?? missing('activation', 'hidden activation');
  else if (flags['activation'] !== undefined) warn(`--activation ${String(flags['activation'])} is ignored: a ${arch.join(',')} model has no hidden layer`);
  const { loss, weightDecay } = lossAndDecay(flags, metadata, modelPath, datasetLoss);
  return { arch, activation, loss, weightDecay };
}

/** The loss and weight decay, each from its flag or the model file's metadata (see resolveSettings). */
function lossAndDecay(flags: Flags, metadata: Record<string, string>, modelPath: string, datasetLoss?: string): { loss: string; weightDecay: number } {
  const { pick, missing } = settingPicker(flags, metadata, modelPath);
  const loss = pick('loss', 'loss', (a, b) => a === b) ?? datasetLoss ?? missing('loss', 'loss');
  lossByName(loss);
  const wdText = pick('weight-decay', 'weight_decay', (a, b) => Number(a) === Number(b)) ?? missing('weight-decay', 'weight decay');
  const weightDecay = parseNumber(flags['weight-decay'] !== undefined ? '--weight-decay' : `${modelPath} metadata weight_decay`, wdText, { min: 0 });
  return { loss, weightDecay };
}

/** A setting from its flag or the model file's metadata; a contradiction is an InputError unless --override-metadata. */
function settingPicker(flags: Flags, metadata: Record<string, string>, modelPath: string) {
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
  return { pick, missing };
}

/**
 * A model written as a JSON graph (README, "Your own architecture"): from --arch-file, or from the
 * 'architecture' metadata `curvature train --arch-file` stores in the model file. Null when neither.
 * Both given and different: an InputError unless --override-metadata (then the flag wins, with a warning).
 */
export function graphArchitecture(flags: Flags, metadata: Record<string, string>, modelPath: string): { model: GraphModel; source: string } | null {
  const file = typeof flags['arch-file'] === 'string' ? String(flags['arch-file']) : undefined;
  const stored = Object.hasOwn(metadata, 'architecture') ? metadata['architecture']! : undefined;
  if (file === undefined && stored === undefined) return null;
  for (const flag of ['arch', 'activation']) {
    if (flags[flag] !== undefined) throw new InputError(`--${flag} does not apply to a graph model (${file ? `--arch-file ${file}` : `${modelPath}'s architecture`})`);
  }
  const fromFile = file !== undefined ? GraphModel.fromJSON(readTextFile(file), file) : null;
  const fromMeta = stored !== undefined ? GraphModel.fromJSON(stored, `${modelPath} metadata architecture`) : null;
  if (fromFile && fromMeta && JSON.stringify(fromFile.toJSON()) !== JSON.stringify(fromMeta.toJSON())) {
    if (!flags['override-metadata']) throw new InputError(`--arch-file ${file} contradicts the architecture stored in ${modelPath}; drop the flag, or pass --override-metadata to use it anyway`);
    warn(`using --arch-file ${file} instead of the architecture stored in ${modelPath} (--override-metadata)`);
  }
  return fromFile ? { model: fromFile, source: basename(file!) } : { model: fromMeta!, source: basename(modelPath) };
}

function readTextFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new InputError(`cannot read ${path}: ${(e as Error).message}`);
  }
}

/** The metadata `curvature train` writes into the model file (resolveSettings reads it back). */
export function settingsMetadata(s: ModelSettings): Record<string, string> {
  return { arch: s.arch.join(','), ...(s.activation ? { activation: s.activation } : {}), loss: s.loss, weight_decay: String(s.weightDecay) };
}

/** What summaries and reports say about the model, for MLP settings and imported models alike. */
export interface ModelInfo {
  /** Layer widths ('784,16,10'), or the model file's name for an imported graph. */
  arch: string;
  activation: string | null;
  description: string;
  loss: string;
  weightDecay: number;
}

export interface LoadedProblem {
  model: Model;
  /** The MLP settings (null for a model imported from ONNX). */
  settings: ModelSettings | null;
  info: ModelInfo;
  objective: Objective;
  theta: Tensor;
  train: Dataset;
  /** The test split, when --data names a dataset or --test-x/--test-y are given. */
  test: Dataset | null;
  source: DataSource;
  lossName: string;
  dtype: DType;
}

/** The loss a bundled dataset implies (--data), if any. */
const datasetLossOf = (flags: Flags): string | undefined =>
  flags['data'] === 'breast-cancer' ? 'bce-with-logits' : String(flags['data'] ?? '').startsWith('fashion-mnist') ? 'cross-entropy' : undefined;

/**
 * Inputs read as rows [N, features] (a CSV, a flattened .npy or a bundled dataset) shaped to an
 * imported model's example shape ([N, 784] → [N, 1, 28, 28]) when the sizes agree; other shapes are
 * left for the model's own check to report.
 */
export function shapedFor(model: GraphModel, data: Dataset): Dataset {
  const want = model.inputShape, size = want.reduce((a, b) => a * b, 1);
  const [n, ...rest] = data.x.shape;
  if (rest.length === want.length && rest.every((d, i) => d === want[i])) return data;
  if (rest.reduce((a, b) => a * b, 1) !== size) return data;
  return { x: reshape(data.x, [n!, ...want]), y: data.y };
}

/**
 * A model imported from ONNX (torch.onnx.export) with its weights; the loss and the weight decay
 * come from flags (the file does not record them, and no silent default is taken).
 */
function loadOnnxProblem(flags: Flags, needTest: boolean, modelPath: string, dtype: DType): LoadedProblem {
  for (const flag of ['arch', 'activation']) {
    if (flags[flag] !== undefined) throw new InputError(`--${flag} does not apply to an ONNX model (${modelPath} holds its architecture)`);
  }
  const loss = (typeof flags['loss'] === 'string' ? String(flags['loss']) : undefined) ?? datasetLossOf(flags);
  if (!loss) throw new InputError(`${modelPath}: an ONNX file does not record the training loss: pass --loss`);
  lossByName(loss);
  if (flags['weight-decay'] === undefined) throw new InputError(`${modelPath}: an ONNX file does not record the weight decay: pass --weight-decay (0 if none)`);
  const weightDecay = numberFlag(flags, 'weight-decay', { min: 0 });
  const imported = loadOnnx(modelPath);
  const model = imported.model;
  const info: ModelInfo = { arch: basename(modelPath), activation: null, description: `ONNX model ${basename(modelPath)} (${model.trackedLayers().length} parameterised layers: ${model.trackedLayers().map((t) => t.layer.describe()).join(', ')})`, loss, weightDecay };
  return problemOf(flags, needTest, model, tensor(imported.theta, [model.numParams], dtype), info, dtype);
}

/** A graph model's problem: its data (shaped to the model's example shape), objective and θ, checked. */
function problemOf(flags: Flags, needTest: boolean, model: GraphModel, theta: Tensor, info: ModelInfo, dtype: DType): LoadedProblem {
  const loaded = loadData(flags, dtype, info.loss, needTest);
  const train = shapedFor(model, loaded.train);
  const test = loaded.test ? shapedFor(model, loaded.test) : null;
  const objective = new Objective(model, lossByName(info.loss), info.weightDecay);
  objective.validate(train, 'training data');
  if (test) objective.validate(test, 'test data');
  return { model, settings: null, info, objective, theta, train, test, source: loaded.source, lossName: info.loss, dtype };
}

/** The model (settings + safetensors weights, or an ONNX file), its objective, and the data. */
export function loadProblem(flags: Flags, needTest = false): LoadedProblem {
  const dtype = dtypeFlag(flags);
  const modelPath = required(flags, 'model');
  if (modelPath.toLowerCase().endsWith('.onnx')) return loadOnnxProblem(flags, needTest, modelPath, dtype);
  const file = readSafetensors(modelPath);
  const datasetLoss = datasetLossOf(flags);
  const graph = graphArchitecture(flags, file.metadata, modelPath);
  if (graph) {
    const { loss, weightDecay } = lossAndDecay(flags, file.metadata, modelPath, datasetLoss);
    const theta = loadStateDict(graph.model, file.tensors, dtype, modelPath);
    const info: ModelInfo = { arch: graph.source, activation: null, description: `graph ${graph.source}: ${graph.model.describe()}`, loss, weightDecay };
    return problemOf(flags, needTest, graph.model, theta, info, dtype);
  }
  const settings = resolveSettings(flags, file.metadata, modelPath, datasetLoss);
  const model = modelOf(settings);
  const { train, test, source } = loadData(flags, dtype, settings.loss, needTest);
  const objective = new Objective(model, lossByName(settings.loss), settings.weightDecay);
  const theta = loadStateDict(model, file.tensors, dtype, modelPath);
  objective.validate(train, 'training data');
  if (test) objective.validate(test, 'test data');
  const info: ModelInfo = { arch: settings.arch.join(','), activation: settings.activation, description: describeModel(settings), loss: settings.loss, weightDecay: settings.weightDecay };
  return { model, settings, info, objective, theta, train, test, source, lossName: settings.loss, dtype };
}

