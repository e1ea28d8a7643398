/**
 * ONNX model files (https://onnx.ai, onnx.proto): a self-contained protobuf decoder (wire.ts) and
 * decoders for the messages a model importer needs (messages.ts, tensor.ts), returning plain
 * objects (types.ts). Weights must be inside the file (external data is rejected).
 *
 * Every malformed input throws a typed error naming where: InputError for broken protobuf
 * (truncation, lengths or varints past the end, unknown wire types: with the byte offset and the
 * message/field being read), unsupported data types and external data; ShapeError when a tensor's
 * element count disagrees with its dims. Lengths are checked against the remaining bytes before
 * anything is allocated, so a hostile file cannot make the reader allocate much more than its size.
 */
import { InputError } from '../../errors.js';
import { decodeModel } from './messages.js';
import type { OnnxModel } from './types.js';
import { WireReader } from './wire.js';

export type { OnnxAttribute, OnnxDType, OnnxGraph, OnnxModel, OnnxNode, OnnxTensor, OnnxValueInfo } from './types.js';
export { dataTypeName } from './tensor.js';

/** Decode an ONNX ModelProto from bytes. `source` names the input in error messages. */
export function readOnnx(bytes: Uint8Array, source = 'ONNX file'): OnnxModel {
  if (!(bytes instanceof Uint8Array)) {
    throw new InputError(`${source}: expected the file's bytes as a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`);
  }
  if (bytes.length === 0) throw new InputError(`${source}: empty file (0 bytes), expected an ONNX ModelProto`);
  return decodeModel(new WireReader(bytes, source));
}

/** Read and decode an .onnx file. A missing or unreadable file is an InputError naming the path. */
export function readOnnxFile(path: string): OnnxModel {
  if (typeof path !== 'string') throw new InputError(`readOnnxFile: expected a path (string), got ${path === null ? 'null' : typeof path}`);
  let bytes: Uint8Array;
  try {
    const buf = fs().readFileSync(path);
    bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    const code = (err as { code?: string })?.code;
    throw new InputError(`cannot read ONNX file '${path}': ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : String((err as Error)?.message ?? err)}`);
  }
  return readOnnx(bytes, `ONNX file '${path}'`);
}

// Node's fs without a static `node:` import, so that the module also loads in a browser bundle
// (where only readOnnx applies), as src/io/source.ts does.
const nodeFs: typeof import('node:fs') | null =
  typeof process !== 'undefined' && typeof process.versions?.node === 'string' ? await import('node:fs') : null;

function fs(): typeof import('node:fs') {
  if (!nodeFs) throw new InputError('readOnnxFile: no file system here (not Node.js); pass the bytes to readOnnx');
  return nodeFs;
}
