import { InputError, ShapeError, UnsupportedLayerError } from '../../errors.js';
import type { OnnxModel, OnnxNode } from '../../io/onnx/types.js';
import { GraphModel, type GraphNodeSpec, type GraphSpec } from '../graph.js';
import { layerFromSpec } from '../layers/layer-spec.js';
import type { LayerSpec } from '../module.js';
import { layerOutputShape } from '../layers/shape-rules.js';
import { Attributes, nodeLabel } from './attributes.js';
import { OP_RULES, type OpContext } from './ops.js';
import { constOf, type Value } from './values.js';

/** An imported model: the graph, its parameters by state_dict name, and θ in the graph's order. */
export interface ImportedModel {
  readonly model: GraphModel;
  readonly params: ReadonlyMap<string, Float64Array>;
  readonly theta: Float64Array;
  /** The ONNX op types the file used, for reports. */
  readonly opTypes: readonly string[];
}

/** Node names as PyTorch module paths: '/features/features.0/Conv' → 'features.features.0.Conv'. */
const cleanName = (name: string): string => {
  const parts = name.split('/').filter(Boolean);
  // torch names a node '/<scope>/…/<module path>/<Op>': the module path is the segment before the op.
  const pick = parts.length >= 2 ? parts[parts.length - 2]! : parts[0] ?? '';
  return pick.replace(/[:]+/g, '.').replace(/\.+$/, '');
};

/**
 * The import: walks the nodes in the file's (topological) order, folding constants and shape
 * arithmetic, and turns each operator into a graph node (ops.ts) whose parameters come from the
 * initializers, named as in the PyTorch state_dict they were exported from ('features.0.weight').
 * θ keeps the initializers' order (torch.onnx.export writes the state_dict order).
 */
class Importer implements OpContext {
  readonly values = new Map<string, Value>();
  readonly nodes: GraphNodeSpec[] = [];
  readonly params = new Map<string, Float64Array>();
  /** Parameter name → the initializer it came from (to order θ like the file). */
  readonly paramSource = new Map<string, string>();
  private readonly names = new Set<string>();
  private readonly uses = new Map<string, number>();
  private readonly shapes = new Map<string, readonly number[]>();

  constructor(readonly onnx: OnnxModel, readonly source: string, readonly inputName: string) {
    for (const n of onnx.graph.nodes) for (const i of n.inputs) if (i) this.uses.set(i, (this.uses.get(i) ?? 0) + 1);
    for (const o of onnx.graph.outputs) this.uses.set(o.name, (this.uses.get(o.name) ?? 0) + 1);
    this.names.add(inputName);
  }

  usesOf(value: string): number {
    return this.uses.get(value) ?? 0;
  }

  value(name: string, label: string): Value {
    const v = this.values.get(name);
    if (!v) throw new InputError(`${this.source}: ${label} reads '${name}', which no earlier node or initializer defines`);
    return v;
  }

  /** A unique node name: the module path of its weights when it has some, else the ONNX node's name. */
  uniqueName(preferred: string): string {
    let name = cleanName(preferred) || 'node';
    for (let k = 2; this.names.has(name); k++) name = `${cleanName(preferred) || 'node'}_${k}`;
    this.names.add(name);
    return name;
  }

  /**
   * Appends a layer node fed by `input` with parameters `values` (in the layer's parameter order,
   * each tagged with its initializer); returns the runtime value of its output. Shape errors name
   * the ONNX node.
   */
  addLayer(label: string, preferredName: string, input: Value, layer: LayerSpec, values: readonly { data: Float64Array; from: string }[] = []): Value {
    if (input.kind !== 'runtime') throw new UnsupportedLayerError(`${this.source}: ${label} applies to a constant; only operators on the model input's values are supported`);
    const built = layerFromSpec(layer, `${this.source}: ${label}`);
    let shape: number[] | null;
    try {
      shape = layerOutputShape(built, [1, ...input.shape]);
    } catch (e) {
      if (e instanceof ShapeError) throw new ShapeError(`${this.source}: ${label}: ${e.message}`);
      throw e;
    }
    if (!shape) throw new UnsupportedLayerError(`${this.source}: ${label}: no shape rule for ${built.describe()}`);
    const name = this.uniqueName(preferredName);
    built.params.forEach((p, j) => {
      const v = values[j]!;
      const size = p.shape.reduce((a, b) => a * b, 1);
      if (v.data.length !== size) throw new ShapeError(`${this.source}: ${label}: '${v.from}' has ${v.data.length} values, ${built.describe()} needs ${p.name} of shape [${p.shape.join(', ')}]`);
      this.params.set(`${name}.${p.name}`, v.data);
      this.paramSource.set(`${name}.${p.name}`, v.from);
    });
    this.nodes.push({ name, inputs: [input.node], layer });
    this.shapes.set(name, shape.slice(1));
    return { kind: 'runtime', node: name, shape: shape.slice(1) };
  }

  addMerge(label: string, preferredName: string, inputs: readonly Value[], op: 'add' | 'concat', axis?: number): Value {
    const runtime = inputs.map((v) => {
      if (v.kind !== 'runtime') throw new UnsupportedLayerError(`${this.source}: ${label} mixes a constant into ${op}; only values computed from the input are supported`);
      return v;
    });
    const name = this.uniqueName(preferredName);
    const node: GraphNodeSpec = op === 'add' ? { name, inputs: runtime.map((v) => v.node), op } : { name, inputs: runtime.map((v) => v.node), op, axis: axis! };
    const first = runtime[0]!.shape;
    let shape: number[];
    if (op === 'add') {
      if (runtime.some((v) => v.shape.length !== first.length || v.shape.some((d, i) => d !== first[i]))) {
        throw new UnsupportedLayerError(`${this.source}: ${label}: Add of shapes ${runtime.map((v) => `[${v.shape.join(', ')}]`).join(' and ')} (broadcasting between computed values is not supported)`);
      }
      shape = [...first];
    } else {
      const a = axis! - 1;
      if (runtime.some((v) => v.shape.length !== first.length || v.shape.some((d, i) => i !== a && d !== first[i]))) {
        throw new ShapeError(`${this.source}: ${label}: Concat along axis ${axis} of shapes ${runtime.map((v) => `[N, ${v.shape.join(', ')}]`).join(', ')}`);
      }
      shape = [...first];
      shape[a] = runtime.reduce((t, v) => t + v.shape[a]!, 0);
    }
    this.nodes.push(node);
    return { kind: 'runtime', node: name, shape };
  }

  /** Gives an existing Linear node (bias-less, from MatMul) the bias an Add supplies. */
  setBias(node: string, data: Float64Array, from: string): void {
    const i = this.nodes.findIndex((n) => n.name === node);
    const n = this.nodes[i]!;
    if (!('layer' in n) || n.layer.kind !== 'linear' || n.layer['bias'] !== false) throw new Error(`internal: setBias on ${node}`);
    this.nodes[i] = { ...n, layer: { ...n.layer, bias: true } };
    this.params.set(`${node}.bias`, data);
    this.paramSource.set(`${node}.bias`, from);
  }

  /** The node that produced a runtime value, when it is a layer node. */
  layerOf(v: Value): LayerSpec | null {
    if (v.kind !== 'runtime') return null;
    const n = this.nodes.find((m) => m.name === v.node);
    return n && 'layer' in n ? n.layer : null;
  }

  run(): void {
    this.onnx.graph.nodes.forEach((node, index) => this.convert(node, index));
  }

  private convert(node: OnnxNode, index: number): void {
    const label = nodeLabel(node, index);
    const rule = node.domain === '' || node.domain === 'ai.onnx' ? (Object.hasOwn(OP_RULES, node.opType) ? OP_RULES[node.opType] : undefined) : undefined;
    if (!rule) {
      throw new UnsupportedLayerError(`${this.source}: ${label}${node.domain ? ` in domain '${node.domain}'` : ''} is not supported; supported operators: ${Object.keys(OP_RULES).join(', ')}`);
    }
    const inputs = node.inputs.map((name) => (name === '' ? null : this.value(name, label)));
    const outputs = rule(this, node, inputs, new Attributes(node, `${this.source}: ${label}`), `${this.source}: ${label}`);
    outputs.forEach((v, i) => { if (node.outputs[i]) this.values.set(node.outputs[i]!, v); });
    node.outputs.slice(outputs.length).forEach((o) => {
      if (o && this.usesOf(o) > 0) throw new UnsupportedLayerError(`${this.source}: ${label}: its output '${o}' is used, and only its first output is supported`);
    });
  }
}

/**
 * The state_dict order: layers in the order their first initializer appears in the file
 * (torch.onnx.export writes the state_dict order), each layer's parameters together in its own order.
 */
function parameterOrder(importer: Importer): string[] {
  const rank = new Map([...importer.onnx.graph.initializers.keys()].map((n, i) => [n, i]));
  const byLayer = new Map<string, string[]>();
  for (const p of importer.params.keys()) {
    const layer = p.slice(0, p.lastIndexOf('.'));
    byLayer.set(layer, [...(byLayer.get(layer) ?? []), p]);
  }
  const first = (ps: string[]): number => Math.min(...ps.map((p) => rank.get(importer.paramSource.get(p)!) ?? Infinity));
  return [...byLayer.values()].sort((a, b) => first(a) - first(b)).flat();
}

/**
 * A model exported by torch.onnx.export (or any ONNX graph of the supported operators) as a
 * GraphModel with its weights. Typed errors: UnsupportedLayerError naming the node and op type for
 * an operator outside the set (ops.ts lists it); ShapeError naming the node when the weights
 * disagree with the graph; InputError for a graph the import cannot read (several inputs, …).
 */
export function importOnnx(onnx: OnnxModel, source = 'ONNX model'): ImportedModel {
  const g = onnx.graph;
  const runtimeInputs = g.inputs.filter((i) => !g.initializers.has(i.name));
  if (runtimeInputs.length !== 1) throw new InputError(`${source}: the graph must have exactly one input, got ${runtimeInputs.length} (${runtimeInputs.map((i) => i.name).join(', ')})`);
  if (g.outputs.length !== 1) throw new InputError(`${source}: the graph must have exactly one output, got ${g.outputs.length}`);
  const input = runtimeInputs[0]!;
  if (!input.shape || input.shape.length < 2 || input.shape.slice(1).some((d) => typeof d !== 'number' || d < 1)) {
    throw new InputError(`${source}: input '${input.name}' must have a fixed shape after the batch axis, got [${(input.shape ?? []).map((d) => d ?? '?').join(', ')}]`);
  }
  if (input.elemType !== 1 && input.elemType !== 11) throw new InputError(`${source}: input '${input.name}' must be float or double (ONNX type 1 or 11), got type ${input.elemType}`);
  const inputShape = input.shape.slice(1) as number[];
  const importer = new Importer(onnx, source, cleanName(input.name) || 'input');
  importer.values.set(input.name, { kind: 'runtime', node: cleanName(input.name) || 'input', shape: inputShape });
  for (const [name, t] of g.initializers) importer.values.set(name, constOf(t));
  importer.run();
  const out = importer.values.get(g.outputs[0]!.name);
  if (!out || out.kind !== 'runtime' || !importer.nodes.some((n) => n.name === out.node)) {
    throw new InputError(`${source}: the output '${g.outputs[0]!.name}' is not computed by a supported node from the input`);
  }
  const spec: GraphSpec = {
    format: 'curvature-graph', version: 1, input: { name: cleanName(input.name) || 'input', shape: inputShape }, output: out.node, nodes: importer.nodes,
  };
  const model = new GraphModel({ ...spec, parameters: parameterOrder(importer) }, source);
  const theta = new Float64Array(model.numParams);
  for (const p of model.flatParams) theta.set(importer.params.get(p.name)!, p.offset);
  return { model, params: importer.params, theta, opTypes: [...new Set(g.nodes.map((n) => n.opType))] };
}
