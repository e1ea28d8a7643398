import { parseArgs } from 'node:util';
import type { DType } from '../backend/types.js';
import { InputError } from '../errors.js';
import { toFloat64, toInt32, type RawArray } from '../io/array.js';
import { readNpy } from '../io/npy.js';
import { lossByName } from '../nn/losses.js';
import { Objective, type Dataset } from '../nn/objective.js';
import { Sequential } from '../nn/sequential.js';
import { loadSafetensors } from '../nn/state-dict.js';
import { tensor } from '../tensor/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { DATA_FLAGS, namedData, type DataSource } from './data-args.js';

/** Flags shared by every subcommand that loads a model and data. */
export const MODEL_FLAGS = {
  model: { type: 'string' },
  arch: { type: 'string' },
  activation: { type: 'string', default: 'tanh' },
  loss: { type: 'string' },
  'train-x': { type: 'string' },
  'train-y': { type: 'string' },
  'weight-decay': { type: 'string', default: '0' },
  damping: { type: 'string', default: '0' },
  hessian: { type: 'string', default: 'exact' },
  dtype: { type: 'string', default: 'float64' },
  'batch-size': { type: 'string', default: '4096' },
  backend: { type: 'string' },
  json: { type: 'string' },
  quiet: { type: 'boolean' },
  ...DATA_FLAGS,
} as const;

export type Flags = Record<string, string | boolean | undefined>;

export function parse(argv: string[], extra: Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>): Flags {
  try {
    const { values } = parseArgs({ args: argv, options: { ...MODEL_FLAGS, ...extra }, strict: true, allowPositionals: false });
    return values as Flags;
  } catch (err) {
    throw new InputError((err as Error).message);
  }
}

export function required(flags: Flags, name: string): string {
  const v = flags[name];
  if (typeof v !== 'string' || v === '') throw new InputError(`missing required flag --${name}`);
  return v;
}

export function numberFlag(flags: Flags, name: string, options: { integer?: boolean; min?: number } = {}): number {
  const raw = flags[name];
  if (raw === undefined) throw new InputError(`missing required flag --${name}`);
  const v = Number(raw);
  if (!Number.isFinite(v) || (options.integer && !Number.isInteger(v)) || (options.min !== undefined && v < options.min)) {
    throw new InputError(`--${name}: expected ${options.integer ? 'an integer' : 'a number'}${options.min !== undefined ? ` ≥ ${options.min}` : ''}, got '${String(raw)}'`);
  }
  return v;
}

export function dtypeFlag(flags: Flags): DType {
  const d = flags['dtype'];
  if (d !== 'float32' && d !== 'float64') throw new InputError(`--dtype: expected float32 or float64, got '${String(d)}'`);
  return d;
}

/** Inputs as floats [N, features], flattening trailing axes (images [N, 28, 28] → [N, 784]). */
export function inputsFrom(raw: RawArray, dtype: DType, path: string): Tensor {
  if (raw.shape.length < 1) throw new InputError(`${path}: expected inputs of shape [N, ...], got a scalar`);
  const n = raw.shape[0]!;
  const f = toFloat64(raw);
  for (let i = 0; i < f.data.length; i++) {
    if (!Number.isFinite(f.data[i]!)) throw new InputError(`${path}: non-finite value ${f.data[i]} at element ${i}`);
  }
  return tensor(f.data, [n, n === 0 ? 0 : f.data.length / n], dtype);
}

/** Targets: int32 class indices for cross-entropy, floats otherwise. */
export function targetsFrom(raw: RawArray, loss: string, dtype: DType, path: string): Tensor {
  if (loss === 'cross-entropy') {
    const labels = toInt32(raw, path);
    return tensor(labels.data, [labels.data.length], 'int32');
  }
  const f = toFloat64(raw);
  return tensor(f.data, raw.shape.length ? [...raw.shape] : [1], dtype);
}

export interface LoadedProblem {
  model: Sequential;
  objective: Objective;
  theta: Tensor;
  train: Dataset;
  /** The test split, when --data names a dataset or --test-x/--test-y are given. */
  test: Dataset | null;
  source: DataSource;
  lossName: string;
  dtype: DType;
}

/** The architecture from --arch (layer widths) and --activation. */
export function modelFrom(flags: Flags): Sequential {
  const arch = required(flags, 'arch').split(',').map((s) => Number(s.trim()));
  if (arch.some((w) => !Number.isInteger(w) || w < 1) || arch.length < 2) {
    throw new InputError(`--arch: expected comma-separated layer widths like 784,16,10, got '${String(flags['arch'])}'`);
  }
  return Sequential.mlp(arch, String(flags['activation']));
}

/** Training (and test) data from --data or from --train-x/--train-y (+ --test-x/--test-y) .npy files. */
export function loadData(flags: Flags, dtype: DType, needTest: boolean): { train: Dataset; test: Dataset | null; source: DataSource; lossName: string } {
  if (flags['data'] !== undefined) {
    for (const f of ['train-x', 'train-y', 'test-x', 'test-y']) {
      if (flags[f] !== undefined) throw new InputError(`--data and --${f} cannot be combined: --data brings its own train and test splits`);
    }
    const d = namedData(flags, dtype);
    const lossName = typeof flags['loss'] === 'string' ? flags['loss'] : d.loss;
    return { train: d.train, test: d.test, source: d.source, lossName };
  }
  if (flags['train-limit'] !== undefined || flags['test-limit'] !== undefined) throw new InputError('--train-limit/--test-limit need --data');
  const lossName = typeof flags['loss'] === 'string' ? flags['loss'] : 'cross-entropy';
  lossByName(lossName);
  const train = dataset(flags, 'train', lossName, dtype);
  const hasTest = flags['test-x'] !== undefined || flags['test-y'] !== undefined;
  const test = needTest || hasTest ? dataset(flags, 'test', lossName, dtype) : null;
  return { train, test, lossName, source: { kind: 'npy', trainX: String(flags['train-x']), testX: test ? String(flags['test-x']) : null } };
}

/** The model (architecture + safetensors weights), its objective, and the data. */
export function loadProblem(flags: Flags, needTest = false): LoadedProblem {
  const dtype = dtypeFlag(flags);
  const model = modelFrom(flags);
  const weightDecay = numberFlag(flags, 'weight-decay', { min: 0 });
  const modelPath = required(flags, 'model');
  const { train, test, source, lossName } = loadData(flags, dtype, needTest);
  const objective = new Objective(model, lossByName(lossName), weightDecay);
  const theta = loadSafetensors(modelPath, model, dtype);
  objective.validate(train, 'training data');
  if (test) objective.validate(test, 'test data');
  return { model, objective, theta, train, test, source, lossName, dtype };
}

export function dataset(flags: Flags, split: 'train' | 'test', lossName: string, dtype: DType): Dataset {
  const xPath = required(flags, `${split}-x`), yPath = required(flags, `${split}-y`);
  return { x: inputsFrom(readNpy(xPath), dtype, xPath), y: targetsFrom(readNpy(yPath), lossName, dtype, yPath) };
}

/** Parses only the given flags (no model/data flags): for commands that load no model. */
export function parseOnly(argv: string[], options: Record<string, { type: 'string' | 'boolean'; default?: string | boolean }>): Flags {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: false }).values as Flags;
  } catch (err) {
    throw new InputError((err as Error).message);
  }
}
