import type { DType } from '../backend/types.js';
import { InputError, ShapeError } from '../errors.js';
import { add, concat, reshape, split, tensor } from '../tensor/index.js';
import { Random } from '../tensor/random.js';
import type { Tensor } from '../tensor/tensor.js';
import { captureModel } from './capture.js';
import { layerFromSpec, layerSpec } from './layers/layer-spec.js';
import type { Captures, FlatParam, ForwardHooks, Model, TrackedLayer } from './model.js';
import type { Layer, LayerSpec } from './module.js';
import { layerOutputShape } from './layers/shape-rules.js';

/** A node that joins several values: residual addition (equal shapes) or concatenation along an axis. */
export type MergeOp = 'add' | 'concat';

/** One node of a graph model, in its JSON form. */
export type GraphNodeSpec =
  | { readonly name: string; readonly inputs: readonly string[]; readonly layer: LayerSpec }
  | { readonly name: string; readonly inputs: readonly string[]; readonly op: MergeOp; readonly axis?: number };

/**
 * The JSON architecture format: one input (the shape of one example, without the batch axis), the
 * nodes in an order where every node comes after its inputs, and the node whose value is the model
 * output. Parameters are named `<node>.<param>` (PyTorch's state_dict names when the nodes carry
 * the module paths, e.g. `features.0.weight`); θ holds them in `parameters` order when given (the
 * state_dict order), else in node order.
 */
export interface GraphSpec {
  readonly format: 'curvature-graph';
  readonly version: 1;
  readonly input: { readonly name: string; readonly shape: readonly number[] };
  readonly nodes: readonly GraphNodeSpec[];
  readonly output: string;
  readonly parameters?: readonly string[];
}

type Node =
  | { name: string; inputs: number[]; kind: 'layer'; layer: Layer }
  | { name: string; inputs: number[]; kind: 'merge'; op: MergeOp; axis: number };

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * A model as a directed acyclic graph of layers (residual blocks, concatenations, models imported
 * from ONNX), a function of one flat θ laid out in state_dict order. The same Model interface as
 * Sequential: apply with forward hooks, tracked layers, captures — so HVPs, every solver, influence
 * and K-FAC run on it unchanged.
 */
export class GraphModel implements Model {
  readonly flatParams: readonly FlatParam[];
  readonly numParams: number;
  /** Per-example input shape (no batch axis). */
  readonly inputShape: readonly number[];
  private readonly nodes: readonly Node[];
  private readonly output: number;
  private readonly tracked: readonly TrackedLayer[];
  /** Per-example output shape of every value (index 0 = the input, node i at i + 1); null where unknown. */
  private readonly shapes: readonly (readonly number[] | null)[];

  constructor(readonly spec: GraphSpec, source = 'graph') {
    if (!isObject(spec)) throw new InputError(`${source}: expected a graph object, got ${JSON.stringify(spec)}`);
    if (spec.format !== 'curvature-graph' || spec.version !== 1) {
      throw new InputError(`${source}: expected format 'curvature-graph' version 1, got format ${JSON.stringify(spec.format)} version ${JSON.stringify(spec.version)}`);
    }
    const input = spec.input;
    if (!isObject(input) || typeof input.name !== 'string' || !Array.isArray(input.shape) || input.shape.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new InputError(`${source}: 'input' must be { name, shape } with the positive integer shape of one example, got ${JSON.stringify(input)}`);
    }
    if (!Array.isArray(spec.nodes) || spec.nodes.length === 0) throw new InputError(`${source}: 'nodes' must be a non-empty array`);
    this.inputShape = [...input.shape];
    const index = new Map<string, number>([[input.name, 0]]);
    const nodes: Node[] = [];
    spec.nodes.forEach((n, i) => {
      const where = `${source}: node ${i}${isObject(n) && typeof n.name === 'string' ? ` '${n.name}'` : ''}`;
      if (!isObject(n) || typeof n.name !== 'string' || n.name === '') throw new InputError(`${where}: a node needs a non-empty string 'name'`);
      if (index.has(n.name)) throw new InputError(`${where}: the name '${n.name}' is used twice`);
      if (!Array.isArray(n.inputs) || n.inputs.length === 0) throw new InputError(`${where}: 'inputs' must name at least one earlier node or the input`);
      const inputs = n.inputs.map((name) => {
        const at = typeof name === 'string' ? index.get(name) : undefined;
        if (at === undefined) throw new InputError(`${where}: input ${JSON.stringify(name)} is not the graph input or an earlier node (nodes must come after their inputs)`);
        return at;
      });
      if ('layer' in n) {
        if (inputs.length !== 1) throw new InputError(`${where}: a layer node takes one input, got ${inputs.length}`);
        nodes.push({ name: n.name, inputs, kind: 'layer', layer: layerFromSpec(n.layer, where) });
      } else if ('op' in n && (n.op === 'add' || n.op === 'concat')) {
        if (inputs.length < 2) throw new InputError(`${where}: '${n.op}' joins at least two inputs, got ${inputs.length}`);
        const axis = n.op === 'concat' ? n.axis : 0;
        if (n.op === 'concat' && (typeof axis !== 'number' || !Number.isInteger(axis) || axis === 0)) {
          throw new InputError(`${where}: 'concat' needs an integer 'axis' other than 0 (the batch axis), got ${JSON.stringify(axis)}`);
        }
        nodes.push({ name: n.name, inputs, kind: 'merge', op: n.op, axis: axis as number });
      } else {
        throw new InputError(`${where}: a node needs a 'layer' or an 'op' of 'add' or 'concat', got ${JSON.stringify(n)}`);
      }
      index.set(n.name, i + 1);
    });
    const out = typeof spec.output === 'string' ? index.get(spec.output) : undefined;
    if (out === undefined || out === 0) throw new InputError(`${source}: 'output' must name a node, got ${JSON.stringify(spec.output)}`);
    this.nodes = nodes;
    this.output = out;
    this.shapes = this.inferShapes(source);
    this.checkReachable(source);
    ({ flat: this.flatParams, tracked: this.tracked } = this.layout(source));
    this.numParams = this.flatParams.reduce((a, p) => a + p.size, 0);
  }

  /** Every parameterised node must reach the output (else its parameters would have no effect). */
  private checkReachable(source: string): void {
    const used = new Set<number>([this.output]);
    for (let v = this.output; v >= 1; v--) if (used.has(v)) for (const i of this.nodes[v - 1]!.inputs) used.add(i);
    this.nodes.forEach((n, i) => {
      if (!used.has(i + 1) && n.kind === 'layer' && n.layer.params.length > 0) {
        throw new InputError(`${source}: node '${n.name}' has parameters but does not lead to the output '${this.nodes[this.output - 1]!.name}'`);
      }
    });
  }

  private inferShapes(source: string): (readonly number[] | null)[] {
    const shapes: (readonly number[] | null)[] = [[1, ...this.inputShape]];
    for (const n of this.nodes) {
      const ins = n.inputs.map((i) => shapes[i]!);
      try {
        shapes.push(ins.some((s) => s === null) ? null : n.kind === 'layer' ? layerOutputShape(n.layer, ins[0]!) : mergeShape(n.op, n.axis, ins as number[][]));
      } catch (e) {
        if (e instanceof ShapeError) throw new ShapeError(`${source}: node '${n.name}': ${e.message}`);
        throw e;
      }
    }
    return shapes.map((s) => (s ? s.slice(1) : null));
  }

  /** θ's layout: `parameters` order (state_dict order) when given, else node order; each layer's parameters contiguous. */
  private layout(source: string): { flat: FlatParam[]; tracked: TrackedLayer[] } {
    const all = this.nodes.flatMap((n, i) => (n.kind === 'layer' ? n.layer.params.map((p) => ({ node: i, spec: p, name: `${n.name}.${p.name}` })) : []));
    let order = all;
    if (this.spec.parameters !== undefined) {
      const byName = new Map(all.map((p) => [p.name, p]));
      const given = this.spec.parameters;
      if (!Array.isArray(given) || given.length !== all.length || new Set(given).size !== given.length || given.some((g) => !byName.has(g))) {
        throw new InputError(`${source}: 'parameters' must list each of ${all.map((p) => p.name).join(', ')} once, got ${JSON.stringify(given)}`);
      }
      order = given.map((g) => byName.get(g)!);
    }
    const flat: FlatParam[] = [];
    const tracked: TrackedLayer[] = [];
    let offset = 0;
    for (const p of order) {
      const size = p.spec.shape.reduce((a, b) => a * b, 1);
      flat.push({ name: p.name, shape: p.spec.shape, layer: p.node, offset, size });
      offset += size;
    }
    for (let at = 0; at < flat.length;) {
      const node = flat[at]!.layer;
      const n = this.nodes[node] as Extract<Node, { kind: 'layer' }>;
      const params = flat.slice(at, at + n.layer.params.length);
      if (params.some((p, j) => p.layer !== node || p.name !== `${n.name}.${n.layer.params[j]!.name}`)) {
        throw new InputError(`${source}: the parameters of node '${n.name}' must come together in θ, in the order ${n.layer.params.map((p) => p.name).join(', ')}`);
      }
      tracked.push({ name: n.name, index: node, layer: n.layer, params, offset: params[0]!.offset, size: params.reduce((a, p) => a + p.size, 0) });
      at += params.length;
    }
    return { flat, tracked };
  }

  /** A graph from its JSON text or parsed object (typed errors naming `source`). */
  static fromJSON(json: string | unknown, source = 'graph'): GraphModel {
    let spec: unknown = json;
    if (typeof json === 'string') {
      try { spec = JSON.parse(json); } catch (e) { throw new InputError(`${source}: not valid JSON (${(e as Error).message})`); }
    }
    return new GraphModel(spec as GraphSpec, source);
  }

  /** A graph from layers written in TypeScript (each needs spec()), as a chain or with merges. */
  static fromLayers(input: { name?: string; shape: readonly number[] }, nodes: readonly ({ name: string; inputs: readonly string[] } & ({ layer: Layer } | { op: MergeOp; axis?: number }))[], output: string): GraphModel {
    return new GraphModel({
      format: 'curvature-graph', version: 1, input: { name: input.name ?? 'input', shape: input.shape }, output,
      nodes: nodes.map((n) => ('layer' in n ? { name: n.name, inputs: n.inputs, layer: layerSpec(n.layer) } : { name: n.name, inputs: n.inputs, op: n.op, axis: n.axis })),
    });
  }

  toJSON(): GraphSpec {
    return this.spec;
  }

  /** The per-example output shape (e.g. [10] for 10 logits). */
  get outputShape(): readonly number[] {
    const s = this.shapes[this.output];
    if (!s) throw new ShapeError(`${this.describe()}: the output shape is unknown (a layer on the way has no shape rule)`);
    return s;
  }

  /** The width of the output's last axis (the number of classes for cross-entropy). */
  get outFeatures(): number {
    const s = this.outputShape;
    return s[s.length - 1] ?? 1;
  }

  trackedLayers(): readonly TrackedLayer[] {
    return this.tracked;
  }

  valuesPerExample(): number | null {
    let total = 0;
    for (const s of this.shapes.slice(1)) {
      if (!s) return null;
      total += s.reduce((a, b) => a * b, 1);
    }
    return total;
  }

  apply(theta: Tensor, x: Tensor, hooks: ForwardHooks = {}): Tensor {
    this.checkTheta(theta);
    const parts = this.numParams === 0 ? [] : split(theta, this.flatParams.map((p) => p.size));
    const params: Tensor[][] = this.nodes.map(() => []);
    this.flatParams.forEach((p, i) => params[p.layer]!.push(reshape(parts[i]!, p.shape)));
    const sites = hooks.onLayer ? new Map(this.tracked.map((t) => [t.index, t])) : null;
    const values: Tensor[] = [x];
    this.nodes.forEach((n, i) => {
      const ins = n.inputs.map((j) => values[j]!);
      let y: Tensor;
      if (n.kind === 'layer') {
        y = n.layer.apply(params[i]!, ins[0]!);
        const site = sites?.get(i);
        if (site) y = hooks.onLayer!(site, ins[0]!, y);
      } else {
        y = n.op === 'add' ? ins.reduce((a, b) => add(a, b)) : concat(ins, n.axis < 0 ? ins[0]!.rank + n.axis : n.axis);
      }
      values.push(y);
    });
    return values[this.output]!;
  }

  capture(theta: Tensor, x: Tensor, perSampleLoss: (outputs: Tensor) => Tensor): Captures {
    return captureModel(this, theta, x, perSampleLoss);
  }

  checkInput(x: { readonly shape: readonly number[] }, what = 'inputs'): readonly number[] {
    const tail = x.shape.slice(1);
    if (x.shape.length < 1 || tail.length !== this.inputShape.length || tail.some((d, i) => d !== this.inputShape[i])) {
      throw new ShapeError(`${what}: ${this.describe()} takes inputs [N, ${this.inputShape.join(', ')}], got [${x.shape.join(', ')}]`);
    }
    return [x.shape[0]!, ...this.outputShape];
  }

  checkTheta(theta: Tensor): void {
    if (theta.rank !== 1 || theta.size !== this.numParams) {
      throw new ShapeError(`${this.describe()} has ${this.numParams} parameters, got θ of shape [${theta.shape.join(', ')}]`);
    }
  }

  /** Fresh parameters from each layer's initialisation (PyTorch's defaults), seeded. */
  init(options: { seed?: number; dtype?: DType } = {}): Tensor {
    const rng = new Random(options.seed ?? 0);
    const perNode = this.nodes.map((n) => (n.kind === 'layer' ? n.layer.init(rng) : []));
    const values = new Float64Array(this.numParams);
    for (const site of this.tracked) site.params.forEach((p, j) => values.set(perNode[site.index]![j]!, p.offset));
    return tensor(values, [this.numParams], options.dtype ?? 'float32');
  }

  describe(): string {
    const parts = this.nodes.map((n) => (n.kind === 'layer' ? `${n.name}: ${n.layer.describe()}` : `${n.name}: ${n.op}(${n.inputs.map((i) => (i === 0 ? this.spec.input.name : this.nodes[i - 1]!.name)).join(', ')})`));
    const shown = parts.length > 8 ? [...parts.slice(0, 4), `… ${parts.length - 6} more …`, ...parts.slice(-2)] : parts;
    return `Graph([${this.inputShape.join(', ')}] → ${shown.join(', ')})`;
  }
}

function mergeShape(op: MergeOp, axis: number, shapes: readonly number[][]): number[] {
  const first = shapes[0]!;
  const show = shapes.map((s) => `[${s.slice(1).join(', ')}]`).join(', ');
  if (op === 'add') {
    if (shapes.some((s) => s.length !== first.length || s.some((d, i) => d !== first[i]))) throw new ShapeError(`add needs inputs of one shape, got ${show}`);
    return [...first];
  }
  const a = axis < 0 ? first.length + axis : axis;
  if (a < 1 || a >= first.length) throw new ShapeError(`concat axis ${axis} is outside the example axes of ${show}`);
  if (shapes.some((s) => s.length !== first.length || s.some((d, i) => i !== a && d !== first[i]))) throw new ShapeError(`concat along axis ${axis} needs inputs equal on the other axes, got ${show}`);
  const out = [...first];
  out[a] = shapes.reduce((t, s) => t + s[a]!, 0);
  return out;
}
