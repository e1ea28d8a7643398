import { InputError, ShapeError, UnsupportedLayerError } from '../../errors.js';
import type { OnnxNode } from '../../io/onnx/types.js';
import type { LayerSpec } from '../module.js';
import type { Attributes } from './attributes.js';
import { addEpsStep, divStep, powStep, reduceMeanStep, scaleStep, shiftStep, sqrtStep, subStep } from './layernorm-steps.js';
import { constant, constOf, decimalOfFloat32, intsOf, transpose2d, type Value } from './values.js';

/** What an operator rule may do to the graph being built (implemented by the importer). */
export interface OpContext {
  addLayer(label: string, preferredName: string, input: Value, layer: LayerSpec, values?: readonly { data: Float64Array; from: string }[]): Value;
  addMerge(label: string, preferredName: string, inputs: readonly Value[], op: 'add' | 'concat', axis?: number): Value;
  setBias(node: string, data: Float64Array, from: string): void;
  layerOf(v: Value): LayerSpec | null;
  usesOf(value: string): number;
}

/** One operator: its inputs (null for an omitted optional one) → its outputs' values. */
export type OpRule = (ctx: OpContext, node: OnnxNode, inputs: readonly (Value | null)[], attrs: Attributes, label: string) => Value[];

type Const = Extract<Value, { kind: 'const' }>;
type Runtime = Extract<Value, { kind: 'runtime' }>;

function runtime(v: Value | null | undefined, label: string, what: string): Runtime {
  if (!v || v.kind !== 'runtime') throw new UnsupportedLayerError(`${label}: ${what} must be computed from the model input (a constant there is not supported)`);
  return v;
}

function weights(v: Value | null | undefined, label: string, what: string): Const {
  if (!v || v.kind !== 'const') throw new UnsupportedLayerError(`${label}: ${what} must be an initializer (weights computed at run time are not supported)`);
  return v;
}

/** The module path of a parameter ('features.0.weight' → 'features.0'), else the node's own name. */
function moduleName(node: OnnxNode, ...params: (Const | null | undefined)[]): string {
  for (const p of params) {
    const m = p?.name.match(/^(.+)\.(weight|bias|running_mean|running_var)$/);
    if (m) return m[1]!;
  }
  return node.name || node.opType;
}

/** Refuses attributes whose non-default values the import does not implement. */
function refuse(attrs: Attributes, label: string, allowed: readonly string[]): void {
  const extra = attrs.names().filter((n) => !allowed.includes(n));
  if (extra.length > 0) throw new UnsupportedLayerError(`${label}: attribute${extra.length > 1 ? 's' : ''} ${extra.join(', ')} not supported`);
}

/** ONNX pads [top, left, bottom, right] (plus what a Pad before it added) as symmetric [h, w]. */
function symmetricPads(pads: readonly number[], label: string): [number, number] {
  if (pads.length !== 4 || pads[0] !== pads[2] || pads[1] !== pads[3]) {
    throw new UnsupportedLayerError(`${label}: pads [${pads.join(', ')}] are not symmetric (PyTorch's padding is)`);
  }
  return [pads[0]!, pads[1]!];
}

const pair = (v: number[] | undefined, fallback: [number, number], label: string, what: string): [number, number] => {
  if (!v) return fallback;
  if (v.length !== 2) throw new UnsupportedLayerError(`${label}: ${what} [${v.join(', ')}]: only 2-d operators are supported`);
  return [v[0]!, v[1]!];
};

/** Pads of a runtime value (from a Pad node before it) added to an operator's own. */
function withPendingPads(x: Runtime, own: number[] | undefined): number[] {
  const base = own ?? [0, 0, 0, 0];
  return x.pads ? base.map((p, i) => p + x.pads![i]!) : base;
}

function noPendingPads(x: Value, label: string): void {
  if (x.kind === 'runtime' && x.pads) throw new UnsupportedLayerError(`${label}: follows a Pad; a Pad is only supported right before Conv or AveragePool`);
}

const activation = (kind: string): OpRule => (ctx, node, [x], attrs, label) => {
  refuse(attrs, label, kind === 'gelu' ? ['approximate'] : []);
  if (kind === 'gelu' && attrs.string('approximate', 'none') !== 'none') throw new UnsupportedLayerError(`${label}: only the exact (erf) GELU is supported`);
  noPendingPads(x!, label);
  return [ctx.addLayer(label, node.name || node.opType, runtime(x, label, 'its input'), { kind })];
};

const softmaxRule = (kind: 'softmax' | 'logsoftmax'): OpRule => (ctx, node, [x], attrs, label) => {
  refuse(attrs, label, ['axis']);
  const v = runtime(x, label, 'its input');
  const axis = attrs.int('axis', -1);
  if (axis !== -1 && axis !== v.shape.length) throw new UnsupportedLayerError(`${label}: only the last axis is supported, got axis ${axis}`);
  return [ctx.addLayer(label, node.name || node.opType, v, { kind })];
};

const pool = (kind: 'maxpool2d' | 'avgpool2d'): OpRule => (ctx, node, [x], attrs, label) => {
  refuse(attrs, label, ['kernel_shape', 'strides', 'pads', 'dilations', 'ceil_mode', 'count_include_pad', 'storage_order', 'auto_pad']);
  if (attrs.int('ceil_mode', 0) !== 0) throw new UnsupportedLayerError(`${label}: ceil_mode=1 is not supported`);
  if (attrs.string('auto_pad', 'NOTSET') !== 'NOTSET') throw new UnsupportedLayerError(`${label}: auto_pad ${attrs.string('auto_pad', '')} is not supported`);
  const v = runtime(x, label, 'its input');
  if (kind === 'maxpool2d') noPendingPads(v, label);
  const kernel = pair(attrs.ints('kernel_shape'), [0, 0], label, 'kernel_shape');
  if (!attrs.ints('kernel_shape')) throw new InputError(`${label}: kernel_shape is required`);
  const padding = symmetricPads(withPendingPads(v, attrs.ints('pads')), label);
  if (kind === 'avgpool2d' && padding.some(Boolean) && attrs.int('count_include_pad', 0) !== 1) {
    throw new UnsupportedLayerError(`${label}: padded average pooling must count the padding (count_include_pad=1, PyTorch's default)`);
  }
  const spec: LayerSpec = {
    kind, kernelSize: kernel, stride: pair(attrs.ints('strides'), [1, 1], label, 'strides'), padding,
    ...(kind === 'maxpool2d' ? { dilation: pair(attrs.ints('dilations'), [1, 1], label, 'dilations') } : {}),
  };
  return [ctx.addLayer(label, node.name || node.opType, { ...v, pads: undefined }, spec)];
};

function conv(ctx: OpContext, node: OnnxNode, [x, w, b]: readonly (Value | null)[], attrs: Attributes, label: string): Value[] {
  refuse(attrs, label, ['kernel_shape', 'strides', 'pads', 'dilations', 'group', 'auto_pad']);
  if (attrs.string('auto_pad', 'NOTSET') !== 'NOTSET') throw new UnsupportedLayerError(`${label}: auto_pad ${attrs.string('auto_pad', '')} is not supported`);
  const v = runtime(x, label, 'its input');
  const W = weights(w, label, 'its weight');
  const B = b ? weights(b, label, 'its bias') : null;
  if (W.dims.length !== 4) throw new UnsupportedLayerError(`${label}: weight '${W.name}' has dims [${W.dims.join(', ')}]: only 2-d convolutions are supported`);
  const [out, inPerGroup, kh, kw] = W.dims as [number, number, number, number];
  const kernel = attrs.ints('kernel_shape');
  if (kernel && (kernel[0] !== kh || kernel[1] !== kw)) throw new ShapeError(`${label}: kernel_shape [${kernel.join(', ')}] disagrees with weight '${W.name}' of dims [${W.dims.join(', ')}]`);
  if (B && (B.dims.length !== 1 || B.dims[0] !== out)) throw new ShapeError(`${label}: bias '${B.name}' has dims [${B.dims.join(', ')}], the weight has ${out} output channels`);
  const groups = attrs.int('group', 1);
  const spec: LayerSpec = {
    kind: 'conv2d', inChannels: inPerGroup * groups, outChannels: out, kernelSize: [kh, kw], groups, bias: B !== null,
    stride: pair(attrs.ints('strides'), [1, 1], label, 'strides'), padding: symmetricPads(withPendingPads(v, attrs.ints('pads')), label),
    dilation: pair(attrs.ints('dilations'), [1, 1], label, 'dilations'),
  };
  return [ctx.addLayer(label, moduleName(node, W, B), { ...v, pads: undefined }, spec, [{ data: W.data, from: W.name }, ...(B ? [{ data: B.data, from: B.name }] : [])])];
}

function gemm(ctx: OpContext, node: OnnxNode, [a, b, c]: readonly (Value | null)[], attrs: Attributes, label: string): Value[] {
  refuse(attrs, label, ['alpha', 'beta', 'transA', 'transB']);
  if (attrs.int('transA', 0) !== 0) throw new UnsupportedLayerError(`${label}: transA=1 is not supported`);
  const v = runtime(a, label, 'input A');
  noPendingPads(v, label);
  const B = weights(b, label, 'input B');
  if (B.dims.length !== 2) throw new ShapeError(`${label}: B '${B.name}' must be a matrix, got dims [${B.dims.join(', ')}]`);
  const transB = attrs.int('transB', 0) === 1;
  const [out, inF] = transB ? [B.dims[0]!, B.dims[1]!] : [B.dims[1]!, B.dims[0]!];
  const alpha = attrs.float('alpha', 1), beta = attrs.float('beta', 1);
  let W = transB ? Float64Array.from(B.data) : transpose2d(B.data, B.dims[0]!, B.dims[1]!);
  if (alpha !== 1) W = W.map((x) => x * alpha);
  let bias: Float64Array | null = null;
  const C = c ? weights(c, label, 'input C') : null;
  if (C) {
    if (C.data.length === out) bias = C.data.map((x) => x * beta);
    else if (C.data.length === 1) bias = new Float64Array(out).fill(C.data[0]! * beta);
    else throw new ShapeError(`${label}: C '${C.name}' has dims [${C.dims.join(', ')}], expected [${out}]`);
  }
  const name = moduleName(node, B, C);
  return [ctx.addLayer(label, name, v, { kind: 'linear', inFeatures: inF, outFeatures: out, bias: bias !== null },
    [{ data: W, from: B.name }, ...(bias ? [{ data: bias, from: C!.name }] : [])])];
}

function matmul(ctx: OpContext, node: OnnxNode, [a, b]: readonly (Value | null)[], attrs: Attributes, label: string): Value[] {
  refuse(attrs, label, []);
  const v = runtime(a, label, 'input A');
  noPendingPads(v, label);
  const B = weights(b, label, 'input B');
  if (B.dims.length !== 2) throw new UnsupportedLayerError(`${label}: only a product with a weight matrix is supported, B '${B.name}' has dims [${B.dims.join(', ')}]`);
  const [inF, out] = B.dims as [number, number];
  return [ctx.addLayer(label, moduleName(node, B), v, { kind: 'linear', inFeatures: inF, outFeatures: out, bias: false }, [{ data: transpose2d(B.data, inF, out), from: B.name }])];
}

function addOp(ctx: OpContext, node: OnnxNode, [a, b]: readonly (Value | null)[], attrs: Attributes, label: string): Value[] {
  refuse(attrs, label, []);
  if (a!.kind === 'const' && b!.kind === 'const') return [elementwiseConst(a!, b!, (x, y) => x + y, label)];
  const eps = addEpsStep(a!, b!);
  if (eps) return [eps];
  const affine = shiftStep(a!, b!);
  if (affine) {
    const { step, beta } = affine;
    const normalizedShape = step.source.shape.slice(step.source.shape.length - step.axes);
    return [ctx.addLayer(label, moduleName(node, { kind: 'const', dims: [], data: step.gamma!.data, name: step.gamma!.from }, beta), step.source,
      { kind: 'layernorm', normalizedShape, eps: decimalOfFloat32(step.eps!), elementwiseAffine: true }, [step.gamma!, { data: beta.data, from: beta.name }])];
  }
  if (a!.kind === 'layernorm-step' || b!.kind === 'layernorm-step') throw new UnsupportedLayerError(`${label}: Add of a LayerNorm's intermediate values (supported only as torch.onnx.export writes LayerNorm out)`);
  if (a!.kind === 'runtime' && b!.kind === 'runtime') return [ctx.addMerge(label, node.name || 'add', [a!, b!], 'add')];
  // x·W (a MatMul) plus a bias: the bias of that Linear layer, when nothing else reads the product.
  const [x, bias] = (a!.kind === 'runtime' ? [a!, b!] : [b!, a!]) as [Runtime, Const];
  const layer = ctx.layerOf(x);
  if (layer && layer.kind === 'linear' && layer['bias'] === false && bias.data.length === layer['outFeatures'] && ctx.usesOf(node.inputs[a!.kind === 'runtime' ? 0 : 1]!) === 1) {
    ctx.setBias(x.node, Float64Array.from(bias.data), bias.name);
    return [x];
  }
  throw new UnsupportedLayerError(`${label}: adding a constant is supported only as the bias right after a MatMul`);
}

function elementwiseConst(a: Const, b: Const, f: (x: number, y: number) => number, label: string): Value {
  if (a.data.length !== b.data.length && a.data.length !== 1 && b.data.length !== 1) throw new UnsupportedLayerError(`${label}: broadcasting between constants of dims [${a.dims.join(', ')}] and [${b.dims.join(', ')}]`);
  const n = Math.max(a.data.length, b.data.length);
  const dims = a.data.length >= b.data.length ? a.dims : b.dims;
  return constant(dims, Array.from({ length: n }, (_, i) => f(a.data[a.data.length === 1 ? 0 : i]!, b.data[b.data.length === 1 ? 0 : i]!)));
}

function concatOp(ctx: OpContext, node: OnnxNode, inputs: readonly (Value | null)[], attrs: Attributes, label: string): Value[] {
  refuse(attrs, label, ['axis']);
  const axis = attrs.int('axis', 0);
  const vs = inputs.filter((v): v is Value => v !== null);
  if (vs.every((v) => v.kind === 'const')) {
    if (vs.some((v) => (v as Const).dims.length !== 1)) throw new UnsupportedLayerError(`${label}: only 1-d constants can be concatenated at import`);
    const data = vs.flatMap((v) => [...(v as Const).data]);
    return [constant([data.length], data)];
  }
  const first = runtime(vs[0], label, 'its inputs');
  const rank = first.shape.length + 1;
  const a = axis < 0 ? axis + rank : axis;
  if (a <= 0 || a >= rank) throw new UnsupportedLayerError(`${label}: concatenation along axis ${axis} (the batch axis or outside the rank ${rank})`);
  vs.forEach((v) => noPendingPads(v, label));
  return [ctx.addMerge(label, node.name || 'concat', vs, 'concat', a)];
}

function flatten(ctx: OpContext, node: OnnxNode, [x]: readonly (Value | null)[], attrs: Attributes, label: string): Value[] {
  refuse(attrs, label, ['axis']);
  if (attrs.int('axis', 1) !== 1) throw new UnsupportedLayerError(`${label}: only axis=1 (keep the batch axis) is supported, got ${attrs.int('axis', 1)}`);
  noPendingPads(x!, label);
  return [ctx.addLayer(label, node.name || 'flatten', runtime(x, label, 'its input'), { kind: 'flatten' })];
}

function reshapeOp(ctx: OpContext, node: OnnxNode, [x, s]: readonly (Value | null)[], attrs: Attributes, label: string): Value[] {
  refuse(attrs, label, ['allowzero']);
  const v = runtime(x, label, 'its data');
  noPendingPads(v, label);
  const target = intsOf(s!, `${label}: the shape`);
  const perExample = v.shape.reduce((a, b) => a * b, 1);
  // The first entry must be the batch: NaN (Shape of the input), 0 (copy it) or −1 when the rest is explicit.
  const head = target[0];
  const rest = target.slice(1).map((d, i) => (d === 0 && attrs.int('allowzero', 0) === 0 ? v.shape[i]! : d));
  const restKnown = rest.every((d) => d > 0);
  if (!(Number.isNaN(head!) || head === 0 || (head === -1 && restKnown && rest.reduce((a, b) => a * b, 1) === perExample))) {
    throw new UnsupportedLayerError(`${label}: reshapes to [${target.map((d) => (Number.isNaN(d) ? 'N' : d)).join(', ')}], which does not keep the batch axis first`);
  }
  if (rest.some((d) => Number.isNaN(d))) throw new UnsupportedLayerError(`${label}: the batch size appears after the first axis of the target shape`);
  return [ctx.addLayer(label, node.name || 'reshape', v, rest.length === 1 && rest[0] === -1 ? { kind: 'flatten' } : { kind: 'reshape', shape: rest })];
}

function layerNorm(ctx: OpContext, node: OnnxNode, [x, scale, bias]: readonly (Value | null)[], attrs: Attributes, label: string): Value[] {
  refuse(attrs, label, ['axis', 'epsilon', 'stash_type']);
  const v = runtime(x, label, 'its input');
  noPendingPads(v, label);
  const rank = v.shape.length + 1;
  const axis = attrs.int('axis', -1) < 0 ? attrs.int('axis', -1) + rank : attrs.int('axis', -1);
  if (axis < 1 || axis >= rank) throw new UnsupportedLayerError(`${label}: normalisation axis ${attrs.int('axis', -1)} must lie after the batch axis`);
  const normalizedShape = v.shape.slice(axis - 1);
  const S = weights(scale, label, 'its scale');
  const B = bias ? weights(bias, label, 'its bias') : null;
  if (!B) throw new UnsupportedLayerError(`${label}: LayerNormalization without a bias is not supported`);
  return [ctx.addLayer(label, moduleName(node, S, B), v, { kind: 'layernorm', normalizedShape, eps: decimalOfFloat32(attrs.float('epsilon', 1e-5)), elementwiseAffine: true },
    [{ data: S.data, from: S.name }, { data: B.data, from: B.name }])];
}

function batchNorm(ctx: OpContext, node: OnnxNode, [x, scale, bias, mean, variance]: readonly (Value | null)[], attrs: Attributes, label: string): Value[] {
  refuse(attrs, label, ['epsilon', 'momentum', 'training_mode', 'spatial']);
  if (attrs.int('training_mode', 0) !== 0) throw new UnsupportedLayerError(`${label}: training_mode=1; export the model in eval() mode`);
  const v = runtime(x, label, 'its input');
  noPendingPads(v, label);
  const [S, B, M, V] = [weights(scale, label, 'its scale'), weights(bias, label, 'its bias'), weights(mean, label, 'its running mean'), weights(variance, label, 'its running variance')];
  return [ctx.addLayer(label, moduleName(node, S, B, M), v, {
    kind: 'batchnorm', numFeatures: S.data.length, eps: decimalOfFloat32(attrs.float('epsilon', 1e-5)), affine: true, runningMean: [...M.data], runningVar: [...V.data],
  }, [{ data: S.data, from: S.name }, { data: B.data, from: B.name }])];
}

function gather(ctx: OpContext, node: OnnxNode, [data, indices]: readonly (Value | null)[], attrs: Attributes, label: string): Value[] {
  refuse(attrs, label, ['axis']);
  const axis = attrs.int('axis', 0);
  if (data!.kind === 'const' && indices!.kind === 'const') {
    if (data!.dims.length !== 1 || axis !== 0) throw new UnsupportedLayerError(`${label}: only gathers from 1-d constants (shape arithmetic) are folded at import`);
    const n = data!.data.length;
    const picked = [...indices!.data].map((i) => data!.data[i < 0 ? i + n : i]!);
    return [constant(indices!.dims, picked)];
  }
  // An embedding lookup: a weight table indexed by the model input.
  const W = weights(data, label, 'the table');
  const ids = runtime(indices, label, 'its indices');
  if (axis !== 0 || W.dims.length !== 2) throw new UnsupportedLayerError(`${label}: only a lookup in a 2-d table along axis 0 (an embedding) is supported`);
  return [ctx.addLayer(label, moduleName(node, W), ids, { kind: 'embedding', numEmbeddings: W.dims[0]!, embeddingDim: W.dims[1]! }, [{ data: W.data, from: W.name }])];
}

function pad(_ctx: OpContext, _node: OnnxNode, [x, pads, value]: readonly (Value | null)[], attrs: Attributes, label: string): Value[] {
  refuse(attrs, label, ['mode', 'pads', 'value']);
  if (attrs.string('mode', 'constant') !== 'constant') throw new UnsupportedLayerError(`${label}: only constant (zero) padding is supported`);
  const v = runtime(x, label, 'its data');
  const p = pads ? intsOf(pads, `${label}: pads`) : (attrs.ints('pads') ?? []);
  const fill = value ? intsOf(value, `${label}: the value`)[0] ?? 0 : attrs.float('value', 0);
  if (fill !== 0) throw new UnsupportedLayerError(`${label}: only zero padding is supported, got ${fill}`);
  const r = v.shape.length + 1;
  if (r !== 4 || p.length !== 8 || p[0] || p[1] || p[4] || p[5]) throw new UnsupportedLayerError(`${label}: only spatial padding of [N, C, H, W] values is supported, got pads [${p.join(', ')}]`);
  // [begin H, begin W, end H, end W], kept until the Conv or AveragePool that reads it.
  const spatial = [p[2]!, p[3]!, p[6]!, p[7]!];
  return [{ ...v, pads: v.pads ? v.pads.map((q, i) => q + spatial[i]!) : spatial }];
}

const identity: OpRule = (_ctx, _node, [x]) => [x!];

/** Every supported operator: the layers of issue 15 and the constant plumbing torch.onnx.export emits around them. */
export const OP_RULES: Record<string, OpRule> = {
  Conv: conv, Gemm: gemm, MatMul: matmul, Add: addOp, Concat: concatOp, Flatten: flatten, Reshape: reshapeOp,
  Relu: activation('relu'), Tanh: activation('tanh'), Sigmoid: activation('sigmoid'), Gelu: activation('gelu'), Softplus: activation('softplus'),
  Softmax: softmaxRule('softmax'), LogSoftmax: softmaxRule('logsoftmax'),
  MaxPool: pool('maxpool2d'), AveragePool: pool('avgpool2d'),
  GlobalAveragePool: (ctx, node, [x], attrs, label) => {
    refuse(attrs, label, []);
    const v = runtime(x, label, 'its input');
    if (v.shape.length !== 3) throw new UnsupportedLayerError(`${label}: only [N, C, H, W] inputs are supported`);
    return [ctx.addLayer(label, node.name || 'pool', v, { kind: 'avgpool2d', kernelSize: [v.shape[1]!, v.shape[2]!], stride: [1, 1], padding: [0, 0] })];
  },
  LayerNormalization: layerNorm, BatchNormalization: batchNorm, Gather: gather, Pad: pad,
  Identity: identity,
  Dropout: (_ctx, node, [x], _attrs, label) => {
    if (node.inputs[2]) throw new UnsupportedLayerError(`${label}: a training_mode input; export the model in eval() mode`);
    return [x!];
  },
  Constant: (_ctx, node, _inputs, attrs, label) => {
    const t = attrs.tensor('value');
    if (t) return [constOf({ ...t, name: node.outputs[0] ?? '' })];
    const ints = attrs.ints('value_ints');
    if (ints) return [constant([ints.length], ints)];
    const names = attrs.names();
    if (names.includes('value_int')) return [constant([], [attrs.int('value_int', 0)])];
    if (names.includes('value_float')) return [constant([], [attrs.float('value_float', 0)])];
    throw new UnsupportedLayerError(`${label}: a Constant of ${names.join(', ') || 'no value'} is not supported`);
  },
  ReduceMean: (_ctx, node, inputs, attrs, label) => [reduceMeanStep(node, inputs, attrs, label)],
  Sub: (_ctx, node, inputs, _attrs, label) => [subStep(node, inputs, label)],
  Pow: (_ctx, _node, inputs, _attrs, label) => [powStep(inputs, label)],
  Sqrt: (_ctx, _node, inputs, _attrs, label) => [sqrtStep(inputs, label)],
  Div: (_ctx, _node, inputs, _attrs, label) => [divStep(inputs, label)],
  Shape: (_ctx, _node, [x], attrs, label) => {
    refuse(attrs, label, []);
    const v = runtime(x, label, 'its input');
    return [constant([v.shape.length + 1], [NaN, ...v.shape])];
  },
  Unsqueeze: (_ctx, _node, [x, axes], attrs, label) => {
    if (x!.kind !== 'const') throw new UnsupportedLayerError(`${label}: only constants (shape arithmetic) can be unsqueezed`);
    const a = axes ? intsOf(axes, `${label}: axes`) : attrs.ints('axes') ?? [];
    if (x!.dims.length + a.length > 1) throw new UnsupportedLayerError(`${label}: only scalars can be unsqueezed at import`);
    return [constant([x!.data.length], x!.data)];
  },
  Squeeze: (_ctx, _node, [x], _attrs, label) => {
    if (x!.kind !== 'const') throw new UnsupportedLayerError(`${label}: only constants (shape arithmetic) can be squeezed`);
    return [constant(x!.data.length === 1 ? [] : [x!.data.length], x!.data)];
  },
  Cast: (_ctx, _node, [x], _attrs, label) => {
    if (x!.kind !== 'const') throw new UnsupportedLayerError(`${label}: casting computed values is not supported`);
    return [x!];
  },
  Mul: (_ctx, _node, [a, b], _attrs, label) => {
    const scaled = scaleStep(a!, b!);
    if (scaled) return [scaled];
    if (a!.kind !== 'const' || b!.kind !== 'const') throw new UnsupportedLayerError(`${label}: only products of constants (shape arithmetic) are supported`);
    return [elementwiseConst(a!, b!, (x, y) => x * y, label)];
  },
};
