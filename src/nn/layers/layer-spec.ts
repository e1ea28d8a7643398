import { InputError } from '../../errors.js';
import { ACTIVATIONS, activation } from './activations.js';
import { BatchNorm } from './batchnorm.js';
import { Conv2d } from './conv2d.js';
import { Embedding } from './embedding.js';
import { Flatten } from './flatten.js';
import { Linear } from './linear.js';
import type { Layer, LayerSpec } from '../module.js';
import { Dropout, LayerNorm } from './normalization.js';
import { AvgPool2d, MaxPool2d } from './pooling.js';
import { Reshape } from './reshape.js';
import { SoftmaxLayer } from './softmax-layer.js';

/** Reads the settings of one layer spec with typed errors that say where (`where`) and what was expected. */
class Settings {
  constructor(private readonly spec: LayerSpec, private readonly where: string) {}

  private fail(name: string, expected: string): never {
    throw new InputError(`${this.where}: '${name}' of a ${this.spec.kind} layer must be ${expected}, got ${JSON.stringify(this.spec[name])}`);
  }

  int(name: string, fallback?: number): number {
    const v = this.spec[name] ?? fallback;
    if (typeof v !== 'number' || !Number.isInteger(v)) this.fail(name, 'an integer');
    return v;
  }

  number(name: string, fallback?: number): number {
    const v = this.spec[name] ?? fallback;
    if (typeof v !== 'number' || !Number.isFinite(v)) this.fail(name, 'a finite number');
    return v;
  }

  bool(name: string, fallback: boolean): boolean {
    const v = this.spec[name] ?? fallback;
    if (typeof v !== 'boolean') this.fail(name, 'true or false');
    return v;
  }

  ints(name: string, fallback?: number[]): number[] {
    const v = this.spec[name] ?? fallback;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x))) this.fail(name, 'an array of integers');
    return v as number[];
  }

  /** An integer or a pair of integers (PyTorch's `int | tuple[int, int]`). */
  pair(name: string, fallback?: number): number | [number, number] {
    const v = this.spec[name] ?? fallback;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    if (Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isInteger(x))) return [v[0], v[1]];
    this.fail(name, 'an integer or a pair of integers');
  }

  optionalPair(name: string): number | [number, number] | undefined {
    return this.spec[name] === undefined || this.spec[name] === null ? undefined : this.pair(name);
  }

  numbers(name: string): number[] | undefined {
    const v = this.spec[name];
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isFinite(x))) this.fail(name, 'an array of finite numbers');
    return v as number[];
  }
}

/** How each layer kind is built from its settings (the inverse of Layer.spec()). */
const BUILDERS: Record<string, (s: Settings) => Layer> = {
  linear: (s) => new Linear(s.int('inFeatures'), s.int('outFeatures'), s.bool('bias', true)),
  conv2d: (s) => new Conv2d(s.int('inChannels'), s.int('outChannels'), s.pair('kernelSize'), {
    stride: s.pair('stride', 1), padding: s.pair('padding', 0), dilation: s.pair('dilation', 1), groups: s.int('groups', 1), bias: s.bool('bias', true),
  }),
  maxpool2d: (s) => new MaxPool2d(s.pair('kernelSize'), { stride: s.optionalPair('stride'), padding: s.pair('padding', 0), dilation: s.pair('dilation', 1) }),
  avgpool2d: (s) => new AvgPool2d(s.pair('kernelSize'), { stride: s.optionalPair('stride'), padding: s.pair('padding', 0) }),
  layernorm: (s) => new LayerNorm(s.ints('normalizedShape'), { eps: s.number('eps', 1e-5), elementwiseAffine: s.bool('elementwiseAffine', true) }),
  batchnorm: (s) => new BatchNorm(s.int('numFeatures'), {
    eps: s.number('eps', 1e-5), affine: s.bool('affine', true), runningMean: s.numbers('runningMean'), runningVar: s.numbers('runningVar'),
  }),
  embedding: (s) => new Embedding(s.int('numEmbeddings'), s.int('embeddingDim')),
  dropout: (s) => new Dropout(s.number('p', 0.5)),
  flatten: () => new Flatten(),
  reshape: (s) => new Reshape(s.ints('shape')),
  softmax: () => new SoftmaxLayer('softmax'),
  logsoftmax: () => new SoftmaxLayer('logsoftmax'),
  ...Object.fromEntries(Object.keys(ACTIVATIONS).map((name) => [name, () => activation(name)])),
};

/** The layer kinds a spec may name. */
export const LAYER_KINDS: readonly string[] = Object.keys(BUILDERS);

/** A layer's JSON description; an InputError for a layer that has none (it cannot be saved or sent to a worker). */
export function layerSpec(layer: Layer): LayerSpec {
  if (!layer.spec) throw new InputError(`layer ${layer.describe()} has no JSON description (spec()): it cannot be saved in an architecture file or rebuilt in a worker thread`);
  return layer.spec();
}

/** The layer a spec describes (typed errors naming `where`, the kind and the setting). */
export function layerFromSpec(spec: unknown, where = 'layer'): Layer {
  if (typeof spec !== 'object' || spec === null || Array.isArray(spec) || typeof (spec as { kind?: unknown }).kind !== 'string') {
    throw new InputError(`${where}: a layer must be an object with a string 'kind', got ${JSON.stringify(spec)}`);
  }
  const s = spec as LayerSpec;
  const build = Object.hasOwn(BUILDERS, s.kind) ? BUILDERS[s.kind] : undefined;
  if (!build) throw new InputError(`${where}: unknown layer kind '${s.kind}'; expected one of ${LAYER_KINDS.join(', ')}`);
  return build(new Settings(s, where));
}
