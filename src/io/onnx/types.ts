/**
 * The plain objects `readOnnx` returns: a decoded subset of onnx.proto (ONNX IR, ir_version ≤ 10).
 * Field numbers are in messages.ts and tensor.ts.
 */

/** Element types of tensors this reader decodes (TensorProto.DataType). */
export type OnnxDType = 'float32' | 'float64' | 'int32' | 'int64' | 'bool' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'uint64';

/** A TensorProto (an initializer, or the value of a Constant node's `value` attribute). */
export interface OnnxTensor {
  /** The tensor's name ('' for an attribute's unnamed tensor). */
  name: string;
  dims: number[];
  dtype: OnnxDType;
  /**
   * Row-major elements, `product(dims)` of them: Float32Array (float32), Float64Array (float64),
   * Int32Array (int32, int16, int8, uint16, uint8, bool as 0/1), number[] (int64, uint32, uint64;
   * values beyond ±(2^53 − 1) are rejected).
   */
  data: Float32Array | Float64Array | Int32Array | number[];
}

/** An AttributeProto, by what it holds. Graph-valued and other attributes are kept as `unsupported`. */
export type OnnxAttribute =
  | { name: string; type: 'float'; value: number }
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'string'; value: string }
  | { name: string; type: 'tensor'; value: OnnxTensor }
  | { name: string; type: 'floats'; value: number[] }
  | { name: string; type: 'ints'; value: number[] }
  | { name: string; type: 'strings'; value: string[] }
  | { name: string; type: 'tensors'; value: OnnxTensor[] }
  /** GRAPH(S), SPARSE_TENSOR(S), TYPE_PROTO(S), a reference attribute, or an undefined type: not decoded. */
  | { name: string; type: 'unsupported'; typeCode: number; what: string };

/** A NodeProto. `domain` is '' for the default ONNX domain (ai.onnx). */
export interface OnnxNode {
  name: string;
  opType: string;
  domain: string;
  /** Input value names; '' marks an omitted optional input. */
  inputs: string[];
  outputs: string[];
  attributes: Map<string, OnnxAttribute>;
}

/** A ValueInfoProto of tensor type. */
export interface OnnxValueInfo {
  name: string;
  /** TensorProto.DataType code (1 float, 11 double, 7 int64, ...); 0 when absent or not a tensor type. */
  elemType: number;
  /** Per dimension: dim_value, dim_param (a symbolic name), or null when neither is set; null when the shape is absent. */
  shape: (number | string | null)[] | null;
}

/** A GraphProto. Nodes are in the file's order (ONNX requires a topological order). */
export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: Map<string, OnnxTensor>;
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
}

/** A ModelProto. `opsets` domain '' is the default ONNX domain. */
export interface OnnxModel {
  irVersion: number;
  opsets: { domain: string; version: number }[];
  producer: { name: string; version: string };
  graph: OnnxGraph;
}
