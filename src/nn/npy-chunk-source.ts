import { InputError, ShapeError } from '../errors.js';
import { toFloat32, toFloat64, toInt32, type RawArray } from '../io/array.js';
import { readNpyHeader, readNpyRows, type NpyHeader } from '../io/npy.js';
import { tensor } from '../tensor/index.js';
import type { ChunkSource } from './chunk-source.js';
import type { Dataset } from './objective.js';

export interface NpyChunkOptions {
  /** Float type of the inputs (and of float targets). Default 'float64'. */
  dtype?: 'float32' | 'float64';
  /** Targets as int32 class labels (default when the targets file holds integers) or as floats. */
  labels?: boolean;
}

/**
 * Training data read lazily from two .npy files on disk — inputs X [N, features] and targets
 * y [N] or [N, k] — as a re-iterable ChunkSource of `chunkRows` rows per chunk (the last one
 * shorter). Each chunk is one positioned read of its row range (readNpyRows), made when the pass
 * reaches it; only the headers are read up front. So a training set larger than memory can be
 * fitted: memory holds one chunk (plus the model's working set) whatever N is. The files must be
 * C-ordered and must not change while a model fitted on them is in use (row counts are re-checked
 * every pass by CheckedChunks; contents are not).
 */
export function npyChunkSource(xPath: string, yPath: string, chunkRows: number, options: NpyChunkOptions = {}): ChunkSource {
  if (!Number.isSafeInteger(chunkRows) || chunkRows < 1) throw new InputError(`npyChunkSource: chunkRows must be an integer ≥ 1, got ${chunkRows}`);
  const dtype = options.dtype ?? 'float64';
  if (dtype !== 'float32' && dtype !== 'float64') throw new InputError(`npyChunkSource: dtype must be 'float32' or 'float64', got '${String(dtype)}'`);
  const xh = readNpyHeader(xPath), yh = readNpyHeader(yPath);
  if (xh.shape.length !== 2) throw new ShapeError(`npyChunkSource: inputs ${xPath} must be [N, features], got (${xh.shape.join(', ')})`);
  if (yh.shape.length < 1 || yh.shape.length > 2) throw new ShapeError(`npyChunkSource: targets ${yPath} must be [N] or [N, k], got (${yh.shape.join(', ')})`);
  const n = xh.shape[0]!;
  if (yh.shape[0] !== n) throw new ShapeError(`npyChunkSource: ${xPath} has ${n} rows, ${yPath} has ${yh.shape[0]}`);
  if (n === 0) throw new InputError(`npyChunkSource: ${xPath} has no rows (empty training set)`);
  const labels = options.labels ?? (yh.dtype === 'int32' || yh.dtype === 'int64' || yh.dtype === 'uint8');
  const asFloat = (raw: RawArray): RawArray => (dtype === 'float64' ? toFloat64(raw) : toFloat32(raw));
  const count = Math.ceil(n / chunkRows);
  const read = (path: string, header: NpyHeader, start: number, rows: number): RawArray => readNpyRows(path, start, rows, header);
  const chunk = (i: number): Dataset => {
    if (!Number.isSafeInteger(i) || i < 0 || i >= count) throw new InputError(`npyChunkSource: chunk ${i} out of range [0, ${count})`);
    const start = i * chunkRows, rows = Math.min(chunkRows, n - start);
    const xr = asFloat(read(xPath, xh, start, rows));
    const yr = read(yPath, yh, start, rows);
    const yt = labels ? toInt32(yr, yPath) : asFloat(yr);
    return {
      x: tensor(xr.data as Float64Array | Float32Array, xr.shape, dtype),
      y: tensor(yt.data as Float64Array | Float32Array | Int32Array, yt.shape, labels ? 'int32' : dtype),
    };
  };
  return {
    size: n,
    chunk,
    *chunks() { for (let i = 0; i < count; i++) yield chunk(i); },
  };
}
