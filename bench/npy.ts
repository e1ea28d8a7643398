import { readFileSync, writeFileSync } from 'node:fs';

/**
 * The few .npy files (NumPy format 1.0, little-endian, C order) that bench/vs-torch.ts exchanges
 * with the PyTorch peer: float32, float64 and int32 arrays.
 */
export type NpyArray = Float32Array | Float64Array | Int32Array;

const DESCR = { '<f4': Float32Array, '<f8': Float64Array, '<i4': Int32Array } as const;
type Descr = keyof typeof DESCR;

function descrOf(a: NpyArray): Descr {
  return a instanceof Float32Array ? '<f4' : a instanceof Float64Array ? '<f8' : '<i4';
}

export function writeNpy(path: string, data: NpyArray, shape: readonly number[] = [data.length]): void {
  const dims = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  let header = `{'descr': '${descrOf(data)}', 'fortran_order': False, 'shape': ${dims}, }`;
  // magic (6) + version (2) + header length (2) + header, padded with spaces to a multiple of 64, ending '\n'.
  header += ' '.repeat(63 - ((10 + header.length) % 64)) + '\n';
  const head = Buffer.alloc(10);
  head.write('\x93NUMPY', 0, 'latin1');
  head[6] = 1; head[7] = 0;
  head.writeUInt16LE(header.length, 8);
  writeFileSync(path, Buffer.concat([head, Buffer.from(header, 'latin1'), Buffer.from(data.buffer, data.byteOffset, data.byteLength)]));
}

export function readNpy(path: string): NpyArray {
  const b = readFileSync(path);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = b[6]!;
  const len = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + len;
  const header = b.toString('latin1', major === 1 ? 10 : 12, start);
  const descr = /'descr':\s*'([^']+)'/.exec(header)?.[1];
  if (!descr || !(descr in DESCR)) throw new Error(`${path}: unsupported dtype ${descr}`);
  if (/'fortran_order':\s*True/.test(header)) throw new Error(`${path}: Fortran order`);
  const T = DESCR[descr as Descr];
  const bytes = b.subarray(start);
  const copy = new ArrayBuffer(bytes.byteLength);
  new Uint8Array(copy).set(bytes);
  return new T(copy);
}
