/**
 * A tiny protobuf encoder for building ONNX test inputs by hand (not a test file itself).
 * Each helper returns the bytes of one field (key + payload); `cat` joins them into a message body.
 */

/** Varint bytes of a non-negative number or any 64-bit BigInt (negative → two's complement, 10 bytes). */
export function varint(v: number | bigint): Uint8Array {
  let x = BigInt.asUintN(64, BigInt(v));
  const out: number[] = [];
  do {
    let b = Number(x & 0x7fn);
    x >>= 7n;
    if (x > 0n) b |= 0x80;
    out.push(b);
  } while (x > 0n);
  return new Uint8Array(out);
}

export function cat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export const key = (field: number, wire: number): Uint8Array => varint(field * 8 + wire);
/** Wire type 0. */
export const vint = (field: number, v: number | bigint): Uint8Array => cat(key(field, 0), varint(v));
/** Wire type 5. */
export function f32(field: number, v: number): Uint8Array {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, v, true);
  return cat(key(field, 5), b);
}
/** Wire type 1. */
export function f64(field: number, v: number): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setFloat64(0, v, true);
  return cat(key(field, 1), b);
}
/** Wire type 2. */
export const bytes = (field: number, payload: Uint8Array): Uint8Array => cat(key(field, 2), varint(payload.length), payload);
export const str = (field: number, s: string): Uint8Array => bytes(field, new TextEncoder().encode(s));
export const msg = (field: number, ...body: Uint8Array[]): Uint8Array => bytes(field, cat(...body));
export const packedVarints = (field: number, vs: (number | bigint)[]): Uint8Array => bytes(field, cat(...vs.map(varint)));
export function packedF32(field: number, vs: number[]): Uint8Array {
  return bytes(field, new Uint8Array(new Float32Array(vs).buffer));
}
export function packedF64(field: number, vs: number[]): Uint8Array {
  return bytes(field, new Uint8Array(new Float64Array(vs).buffer));
}

// ---------------------------------------------------------------------------------------- ONNX messages

export interface TensorSpec {
  name?: string;
  dims: number[];
  dataType: number;
  raw?: Uint8Array;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: (number | bigint)[];
  doubleData?: number[];
  uint64Data?: (number | bigint)[];
  extra?: Uint8Array[];
}

/** TensorProto body. */
export function tensorBody(t: TensorSpec): Uint8Array {
  const parts: Uint8Array[] = [];
  if (t.dims.length) parts.push(packedVarints(1, t.dims));
  parts.push(vint(2, t.dataType));
  if (t.name !== undefined) parts.push(str(8, t.name));
  if (t.floatData) parts.push(packedF32(4, t.floatData));
  if (t.int32Data) parts.push(packedVarints(5, t.int32Data));
  if (t.int64Data) parts.push(packedVarints(7, t.int64Data));
  if (t.doubleData) parts.push(packedF64(10, t.doubleData));
  if (t.uint64Data) parts.push(packedVarints(11, t.uint64Data));
  if (t.raw) parts.push(bytes(9, t.raw));
  parts.push(...(t.extra ?? []));
  return cat(...parts);
}

export function valueInfoBody(name: string, elemType: number, dims: (number | string | null)[] | null): Uint8Array {
  const shape = dims === null ? new Uint8Array(0)
    : msg(2, ...dims.map((d) => msg(1, d === null ? new Uint8Array(0) : typeof d === 'number' ? vint(1, d) : str(2, d))));
  return cat(str(1, name), msg(2, msg(1, vint(1, elemType), shape)));
}

export interface NodeSpec {
  op: string;
  name?: string;
  domain?: string;
  inputs: string[];
  outputs: string[];
  attrs?: Uint8Array[]; // AttributeProto bodies
}

export function nodeBody(n: NodeSpec): Uint8Array {
  return cat(
    ...n.inputs.map((s) => str(1, s)),
    ...n.outputs.map((s) => str(2, s)),
    ...(n.name !== undefined ? [str(3, n.name)] : []),
    str(4, n.op),
    ...(n.domain !== undefined ? [str(7, n.domain)] : []),
    ...(n.attrs ?? []).map((a) => bytes(5, a)),
  );
}

/** AttributeProto bodies by kind (type codes: 1 FLOAT, 2 INT, 3 STRING, 4 TENSOR, 6 FLOATS, 7 INTS, 8 STRINGS, 9 TENSORS). */
export const attr = {
  float: (name: string, v: number) => cat(str(1, name), vint(20, 1), f32(2, v)),
  int: (name: string, v: number | bigint) => cat(str(1, name), vint(20, 2), vint(3, v)),
  string: (name: string, v: string) => cat(str(1, name), vint(20, 3), str(4, v)),
  tensor: (name: string, t: TensorSpec) => cat(str(1, name), vint(20, 4), msg(5, tensorBody(t))),
  floats: (name: string, vs: number[]) => cat(str(1, name), vint(20, 6), packedF32(7, vs)),
  ints: (name: string, vs: (number | bigint)[]) => cat(str(1, name), vint(20, 7), packedVarints(8, vs)),
  strings: (name: string, vs: string[]) => cat(str(1, name), vint(20, 8), ...vs.map((s) => str(9, s))),
  tensors: (name: string, ts: TensorSpec[]) => cat(str(1, name), vint(20, 9), ...ts.map((t) => msg(10, tensorBody(t)))),
  graph: (name: string) => cat(str(1, name), vint(20, 5), msg(6, str(2, 'subgraph'))),
};

export interface ModelSpec {
  irVersion?: number;
  opsets?: { domain: string; version: number }[];
  producer?: [string, string];
  graphName?: string;
  nodes?: NodeSpec[];
  initializers?: TensorSpec[];
  inputs?: Uint8Array[]; // ValueInfoProto bodies
  outputs?: Uint8Array[];
  valueInfo?: Uint8Array[];
  graphExtra?: Uint8Array[];
  modelExtra?: Uint8Array[];
}

export function graphBody(m: ModelSpec): Uint8Array {
  return cat(
    ...(m.nodes ?? []).map((n) => msg(1, nodeBody(n))),
    str(2, m.graphName ?? 'g'),
    ...(m.initializers ?? []).map((t) => msg(5, tensorBody(t))),
    ...(m.inputs ?? []).map((v) => msg(11, v)),
    ...(m.outputs ?? []).map((v) => msg(12, v)),
    ...(m.valueInfo ?? []).map((v) => msg(13, v)),
    ...(m.graphExtra ?? []),
  );
}

/** ModelProto bytes. */
export function modelBytes(m: ModelSpec): Uint8Array {
  const [pn, pv] = m.producer ?? ['test', '0'];
  return cat(
    vint(1, m.irVersion ?? 7),
    str(2, pn),
    str(3, pv),
    msg(7, graphBody(m)),
    ...(m.opsets ?? [{ domain: '', version: 13 }]).map((o) => msg(8, str(1, o.domain), vint(2, o.version))),
    ...(m.modelExtra ?? []),
  );
}

/** A small valid model: input x [batch, 3] → Gemm(W [2,3], b [2]) → Relu → y. */
export function smallModel(extra: Partial<ModelSpec> = {}): Uint8Array {
  return modelBytes({
    nodes: [
      { op: 'Gemm', name: 'fc', inputs: ['x', 'W', 'b'], outputs: ['h'], attrs: [attr.float('alpha', 1), attr.int('transB', 1)] },
      { op: 'Relu', name: 'act', inputs: ['h'], outputs: ['y'] },
    ],
    initializers: [
      { name: 'W', dims: [2, 3], dataType: 1, raw: new Uint8Array(new Float32Array([1, 2, 3, 4, 5, 6]).buffer) },
      { name: 'b', dims: [2], dataType: 1, floatData: [0.5, -0.5] },
    ],
    inputs: [valueInfoBody('x', 1, ['batch', 3])],
    outputs: [valueInfoBody('y', 1, ['batch', 2])],
    ...extra,
  });
}
