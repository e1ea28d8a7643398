/**
 * Decoders for the ONNX messages the reader needs (field numbers from onnx.proto, ONNX 1.12+):
 *
 *   ModelProto        1 ir_version, 2 producer_name, 3 producer_version, 7 graph, 8 opset_import
 *   OperatorSetIdProto 1 domain, 2 version
 *   GraphProto        1 node, 2 name, 5 initializer, 11 input, 12 output, 13 value_info,
 *                     15 sparse_initializer (rejected)
 *   NodeProto         1 input, 2 output, 3 name, 4 op_type, 5 attribute, 7 domain
 *   AttributeProto    1 name, 2 f, 3 i, 4 s, 5 t, 6 g, 7 floats, 8 ints, 9 strings, 10 tensors,
 *                     11 graphs, 14 tp, 15 type_protos, 20 type, 21 ref_attr_name, 22 sparse_tensor,
 *                     23 sparse_tensors
 *   ValueInfoProto    1 name, 2 type → TypeProto 1 tensor_type → 1 elem_type, 2 shape →
 *                     TensorShapeProto 1 dim → Dimension 1 dim_value, 2 dim_param
 *
 * Unknown fields are skipped. A singular field that occurs twice keeps its last value (protobuf's
 * rule for scalars). Graph-valued attributes are not decoded (their bytes are skipped), so the
 * decoding never recurses deeper than model → graph → node → attribute → tensor.
 */
import { InputError } from '../../errors.js';
import { decodeTensor } from './tensor.js';
import type { OnnxAttribute, OnnxGraph, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from './types.js';
import { WIRE_I32, WIRE_LEN, WIRE_VARINT, type WireReader, expectWire, readRepeated } from './wire.js';

function str(r: WireReader, wire: number, path: string): string {
  expectWire(r, wire, WIRE_LEN, path);
  return r.string(path);
}

function sub(r: WireReader, wire: number, path: string): WireReader {
  expectWire(r, wire, WIRE_LEN, path);
  return r.sub(path);
}

/** ModelProto. */
export function decodeModel(r: WireReader): OnnxModel {
  const path = 'ModelProto';
  let irVersion = 0;
  const opsets: OnnxModel['opsets'] = [];
  const producer = { name: '', version: '' };
  let graph: OnnxGraph | undefined;
  while (r.more()) {
    const [field, wire] = r.key(path);
    switch (field) {
      case 1: expectWire(r, wire, WIRE_VARINT, `${path}.ir_version`); irVersion = r.int64(`${path}.ir_version`); break;
      case 2: producer.name = str(r, wire, `${path}.producer_name`); break;
      case 3: producer.version = str(r, wire, `${path}.producer_version`); break;
      case 7: graph = decodeGraph(sub(r, wire, `${path}.graph`), `${path}.graph`); break;
      case 8: opsets.push(decodeOpset(sub(r, wire, `${path}.opset_import[${opsets.length}]`), `${path}.opset_import[${opsets.length}]`)); break;
      default: r.skip(wire, `${path}.field ${field}`);
    }
  }
  if (!graph) throw new InputError(`${r.source}: ModelProto has no graph (not an ONNX model file?)`);
  return { irVersion, opsets, producer, graph };
}

function decodeOpset(r: WireReader, path: string): { domain: string; version: number } {
  let domain = '';
  let version = 0;
  while (r.more()) {
    const [field, wire] = r.key(path);
    if (field === 1) domain = str(r, wire, `${path}.domain`);
    else if (field === 2) {
      expectWire(r, wire, WIRE_VARINT, `${path}.version`);
      version = r.int64(`${path}.version`);
    } else r.skip(wire, `${path}.field ${field}`);
  }
  return { domain, version };
}

/** GraphProto. */
export function decodeGraph(r: WireReader, path: string): OnnxGraph {
  const graph: OnnxGraph = { name: '', nodes: [], initializers: new Map(), inputs: [], outputs: [], valueInfo: [] };
  while (r.more()) {
    const at = r.pos;
    const [field, wire] = r.key(path);
    switch (field) {
      case 1: {
        const p = `${path}.node[${graph.nodes.length}]`;
        graph.nodes.push(decodeNode(sub(r, wire, p), p));
        break;
      }
      case 2: graph.name = str(r, wire, `${path}.name`); break;
      case 5: {
        const p = `${path}.initializer[${graph.initializers.size}]`;
        const t = decodeTensor(sub(r, wire, p), p);
        if (graph.initializers.has(t.name)) throw new InputError(`${r.source}: ${p}: duplicate initializer name '${t.name}' at byte ${at}`);
        graph.initializers.set(t.name, t);
        break;
      }
      case 11: graph.inputs.push(decodeValueInfo(sub(r, wire, `${path}.input[${graph.inputs.length}]`), `${path}.input[${graph.inputs.length}]`)); break;
      case 12: graph.outputs.push(decodeValueInfo(sub(r, wire, `${path}.output[${graph.outputs.length}]`), `${path}.output[${graph.outputs.length}]`)); break;
      case 13: graph.valueInfo.push(decodeValueInfo(sub(r, wire, `${path}.value_info[${graph.valueInfo.length}]`), `${path}.value_info[${graph.valueInfo.length}]`)); break;
      case 15: throw new InputError(`${r.source}: ${path}.sparse_initializer: sparse initializers are not supported, at byte ${at}`);
      default: r.skip(wire, `${path}.field ${field}`);
    }
  }
  return graph;
}

/** NodeProto. */
export function decodeNode(r: WireReader, path: string): OnnxNode {
  const node: OnnxNode = { name: '', opType: '', domain: '', inputs: [], outputs: [], attributes: new Map() };
  let count = 0;
  while (r.more()) {
    const at = r.pos;
    const [field, wire] = r.key(path);
    switch (field) {
      case 1: node.inputs.push(str(r, wire, `${path}.input[${node.inputs.length}]`)); break;
      case 2: node.outputs.push(str(r, wire, `${path}.output[${node.outputs.length}]`)); break;
      case 3: node.name = str(r, wire, `${path}.name`); break;
      case 4: node.opType = str(r, wire, `${path}.op_type`); break;
      case 7: node.domain = str(r, wire, `${path}.domain`); break;
      case 5: {
        const p = `${path}.attribute[${count++}]`;
        const a = decodeAttribute(sub(r, wire, p), p);
        if (node.attributes.has(a.name)) throw new InputError(`${r.source}: ${p}: duplicate attribute '${a.name}' at byte ${at}`);
        node.attributes.set(a.name, a);
        break;
      }
      default: r.skip(wire, `${path}.field ${field}`);
    }
  }
  return node;
}

/** AttributeProto.AttributeType codes. */
const ATTR_TYPES: Record<number, string> = {
  0: 'UNDEFINED', 1: 'FLOAT', 2: 'INT', 3: 'STRING', 4: 'TENSOR', 5: 'GRAPH', 6: 'FLOATS', 7: 'INTS', 8: 'STRINGS',
  9: 'TENSORS', 10: 'GRAPHS', 11: 'SPARSE_TENSOR', 12: 'SPARSE_TENSORS', 13: 'TYPE_PROTO', 14: 'TYPE_PROTOS',
};

/** AttributeProto. The declared `type` decides; without one (old files) the field present decides. */
export function decodeAttribute(r: WireReader, path: string): OnnxAttribute {
  const start = r.pos;
  let name = '';
  let type = 0;
  let f: number | undefined;
  let i: number | undefined;
  let s: string | undefined;
  let t: OnnxTensor | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: string[] = [];
  const tensors: OnnxTensor[] = [];
  let other = ''; // a field this reader does not decode (g, graphs, sparse tensors, type protos, ref_attr_name)
  while (r.more()) {
    const [field, wire] = r.key(path);
    switch (field) {
      case 1: name = str(r, wire, `${path}.name`); break;
      case 20: expectWire(r, wire, WIRE_VARINT, `${path}.type`); type = r.int32(`${path}.type`); break;
      case 2: expectWire(r, wire, WIRE_I32, `${path}.f`); f = r.float32(`${path}.f`); break;
      case 3: expectWire(r, wire, WIRE_VARINT, `${path}.i`); i = r.int64(`${path}.i`); break;
      case 4: s = str(r, wire, `${path}.s`); break;
      case 5: t = decodeTensor(sub(r, wire, `${path}.t`), `${path}.t`); break;
      case 7: readRepeated(r, wire, 'float', floats, `${path}.floats`); break;
      case 8: readRepeated(r, wire, 'int64', ints, `${path}.ints`); break;
      case 9: strings.push(str(r, wire, `${path}.strings[${strings.length}]`)); break;
      case 10: tensors.push(decodeTensor(sub(r, wire, `${path}.tensors[${tensors.length}]`), `${path}.tensors[${tensors.length}]`)); break;
      case 6: case 11: case 14: case 15: case 21: case 22: case 23: {
        const names: Record<number, string> = { 6: 'g', 11: 'graphs', 14: 'tp', 15: 'type_protos', 21: 'ref_attr_name', 22: 'sparse_tensor', 23: 'sparse_tensors' };
        other ||= names[field]!;
        r.skip(wire, `${path}.${names[field]}`);
        break;
      }
      default: r.skip(wire, `${path}.field ${field}`);
    }
  }
  if (type === 0) {
    // No declared type (ir_version < 2 files): infer it from the field present.
    type = f !== undefined ? 1 : i !== undefined ? 2 : s !== undefined ? 3 : t !== undefined ? 4 : floats.length ? 6 : ints.length ? 7 : strings.length ? 8 : tensors.length ? 9 : 0;
  }
  const missing = (field: string): never => {
    throw new InputError(`${r.source}: ${path} '${name}' (AttributeProto at byte ${start}): type ${ATTR_TYPES[type]} but no ${field} field`);
  };
  switch (type) {
    case 1: return { name, type: 'float', value: f ?? missing('f') };
    case 2: return { name, type: 'int', value: i ?? missing('i') };
    case 3: return { name, type: 'string', value: s ?? missing('s') };
    case 4: return { name, type: 'tensor', value: t ?? missing('t') };
    case 6: return { name, type: 'floats', value: floats };
    case 7: return { name, type: 'ints', value: ints };
    case 8: return { name, type: 'strings', value: strings };
    case 9: return { name, type: 'tensors', value: tensors };
    default: return { name, type: 'unsupported', typeCode: type, what: ATTR_TYPES[type] ?? (other || `type ${type}`) };
  }
}

/** ValueInfoProto (tensor types; other types give elemType 0 and shape null). */
export function decodeValueInfo(r: WireReader, path: string): OnnxValueInfo {
  const info: OnnxValueInfo = { name: '', elemType: 0, shape: null };
  while (r.more()) {
    const [field, wire] = r.key(path);
    if (field === 1) info.name = str(r, wire, `${path}.name`);
    else if (field === 2) decodeType(sub(r, wire, `${path}.type`), `${path}.type`, info);
    else r.skip(wire, `${path}.field ${field}`);
  }
  return info;
}

function decodeType(r: WireReader, path: string, info: OnnxValueInfo): void {
  while (r.more()) {
    const [field, wire] = r.key(path);
    if (field !== 1) {
      r.skip(wire, `${path}.field ${field}`);
      continue;
    }
    const tr = sub(r, wire, `${path}.tensor_type`);
    while (tr.more()) {
      const [f2, w2] = tr.key(`${path}.tensor_type`);
      if (f2 === 1) {
        expectWire(tr, w2, WIRE_VARINT, `${path}.tensor_type.elem_type`);
        info.elemType = tr.int32(`${path}.tensor_type.elem_type`);
      } else if (f2 === 2) {
        info.shape = decodeShape(sub(tr, w2, `${path}.tensor_type.shape`), `${path}.tensor_type.shape`);
      } else tr.skip(w2, `${path}.tensor_type.field ${f2}`);
    }
  }
}

function decodeShape(r: WireReader, path: string): (number | string | null)[] {
  const dims: (number | string | null)[] = [];
  while (r.more()) {
    const [field, wire] = r.key(path);
    if (field !== 1) {
      r.skip(wire, `${path}.field ${field}`);
      continue;
    }
    const p = `${path}.dim[${dims.length}]`;
    const dr = sub(r, wire, p);
    let dim: number | string | null = null;
    while (dr.more()) {
      const [f2, w2] = dr.key(p);
      if (f2 === 1) {
        expectWire(dr, w2, WIRE_VARINT, `${p}.dim_value`);
        dim = dr.int64(`${p}.dim_value`);
      } else if (f2 === 2) dim = str(dr, w2, `${p}.dim_param`);
      else dr.skip(w2, `${p}.field ${f2}`);
    }
    dims.push(dim);
  }
  return dims;
}
