import { UnsupportedLayerError } from '../../errors.js';
import type { OnnxNode } from '../../io/onnx/types.js';
import type { Attributes } from './attributes.js';
import { intsOf, type Value } from './values.js';

/**
 * torch.onnx.export below opset 17 writes torch.nn.LayerNorm out as
 *   μ = ReduceMean(x) → d = Sub(x, μ) → Pow(d, 2) → ReduceMean → Add(·, ε) → Sqrt → Div(d, ·) → Mul(·, γ) → Add(·, β)
 * over the trailing axes. These rules follow that chain step by step (values of kind
 * 'layernorm-step') and the importer emits one LayerNorm layer at the final Add; any other use of an
 * intermediate step is an UnsupportedLayerError.
 */
type Step = Extract<Value, { kind: 'layernorm-step' }>;

const unsupported = (label: string, why: string): never => {
  throw new UnsupportedLayerError(`${label}: ${why} (supported as part of a LayerNorm written out by torch.onnx.export)`);
};

const isStep = (v: Value | null | undefined, step: Step['step']): v is Step => v?.kind === 'layernorm-step' && v.step === step;

/** The number of trailing axes a ReduceMean averages over (keepdims=1, axes −k … −1 or their positive forms). */
function trailingAxes(node: OnnxNode, inputs: readonly (Value | null)[], attrs: Attributes, rank: number, label: string): number {
  const axes = attrs.ints('axes') ?? (inputs[1] ? intsOf(inputs[1], `${label}: axes`) : null);
  if (!axes || attrs.int('keepdims', 1) !== 1) unsupported(label, `ReduceMean without explicit axes or with keepdims=0 (node ${node.name})`);
  const norm = axes!.map((a) => (a < 0 ? a + rank : a)).sort((a, b) => a - b);
  if (norm.some((a, i) => a !== rank - norm.length + i) || norm[0]! < 1) unsupported(label, `ReduceMean over axes [${axes!.join(', ')}], not the trailing ones`);
  return norm.length;
}

export function reduceMeanStep(node: OnnxNode, inputs: readonly (Value | null)[], attrs: Attributes, label: string): Value {
  const x = inputs[0]!;
  if (x.kind === 'runtime') return { kind: 'layernorm-step', step: 'mean', x: node.inputs[0]!, source: x, axes: trailingAxes(node, inputs, attrs, x.shape.length + 1, label) };
  if (isStep(x, 'squares')) {
    const axes = trailingAxes(node, inputs, attrs, x.source.shape.length + 1, label);
    if (axes !== x.axes) unsupported(label, 'the variance is averaged over other axes than the mean');
    return { ...x, step: 'variance' };
  }
  return unsupported(label, 'ReduceMean');
}

export function subStep(node: OnnxNode, [a, b]: readonly (Value | null)[], label: string): Value {
  if (a?.kind === 'runtime' && isStep(b, 'mean') && b.x === node.inputs[0]) return { ...b, step: 'centred' };
  return unsupported(label, 'Sub');
}

export function powStep([a, b]: readonly (Value | null)[], label: string): Value {
  if (isStep(a, 'centred') && b?.kind === 'const' && b.data.length === 1 && b.data[0] === 2) return { ...a, step: 'squares' };
  return unsupported(label, 'Pow');
}

export function sqrtStep([a]: readonly (Value | null)[], label: string): Value {
  if (isStep(a, 'variance+eps')) return { ...a, step: 'std' };
  return unsupported(label, 'Sqrt');
}

/** Add(variance, ε); the caller handles every other Add. */
export function addEpsStep(a: Value, b: Value): Value | null {
  const [v, c] = isStep(a, 'variance') ? [a, b] : isStep(b, 'variance') ? [b, a] : [null, null];
  if (!v || c?.kind !== 'const' || c.data.length !== 1) return null;
  return { ...v, step: 'variance+eps', eps: c.data[0]! };
}

/** Div(centred, std) → the normalised values, x̂ (a step until its γ and β arrive). */
export function divStep([a, b]: readonly (Value | null)[], label: string): Value {
  if (isStep(a, 'centred') && isStep(b, 'std') && a.x === b.x) return { ...b, step: 'normalised' };
  return unsupported(label, 'Div');
}

/** Mul(x̂, γ); null when the operands are not that. */
export function scaleStep(a: Value, b: Value): Value | null {
  const [v, c] = isStep(a, 'normalised') ? [a, b] : isStep(b, 'normalised') ? [b, a] : [null, null];
  if (!v || c?.kind !== 'const') return null;
  return { ...v, step: 'scaled', gamma: { data: c.data, from: c.name } };
}

/** Add(γ·x̂, β): what the importer turns into one LayerNorm layer; null when the operands are not that. */
export function shiftStep(a: Value, b: Value): { step: Step; beta: Extract<Value, { kind: 'const' }> } | null {
  const [v, c] = isStep(a, 'scaled') ? [a, b] : isStep(b, 'scaled') ? [b, a] : [null, null];
  if (!v || c?.kind !== 'const') return null;
  return { step: v, beta: c };
}
