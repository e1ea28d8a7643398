/**
 * Incremental `.npy` writer (NEP 1 format, version 1.0, little-endian, C order): rows are appended
 * as they are computed, so a score matrix never has to be held in memory whole.
 *
 * - The header is written first. When the final row count is known it holds the final shape; when
 *   it is not, it is padded to fit any row count up to 10¹⁵ and rewritten in place at close().
 * - Everything goes to a temporary file next to the target (same directory, so the rename is
 *   atomic on POSIX file systems); close() renames it over the target, abort() deletes it. A
 *   cancelled or failed run leaves no half-written file at the target path.
 * - A run killed outright (SIGKILL) cannot delete its temporary file; open() deletes the ones of
 *   `path` left by processes that no longer run (removeStalePartials, src/io/temp-files.ts).
 * - A thread that may be terminated (InfluenceService's worker) can name its temporary file to a
 *   supervisor with `onTempPath`, called before the file is created, so the supervisor can delete it.
 */
import { InputError } from '../errors.js';
import { nodeFs } from './source.js';
import { removeStalePartials, tempPathFor, untrackTemp } from './temp-files.js';

// Node's fs/path through source.ts's guarded import, so a browser bundle of the library has no
// static `node:` import (writing files is Node-only; the error says so elsewhere).
const fs = () => nodeFs('write', '.npy file').fs;
const pathModule = () => nodeFs('write', '.npy file').path;

export type NpyWriterDType = 'float32' | 'float64';

export interface NpyWriterOptions {
  dtype?: NpyWriterDType;
  /** The shape of one row (the trailing dimensions), e.g. [nTest]. */
  rowShape: readonly number[];
  /** The final number of rows, if known: the header is then final from the start. */
  rows?: number;
  /**
   * Called with the temporary file's path before the file is created (it is renamed to the target
   * by close() or deleted by abort()): lets a supervisor delete it if this thread is terminated.
   */
  onTempPath?: (temp: string) => void;
}

const DESCR: Record<NpyWriterDType, string> = { float32: '<f4', float64: '<f8' };
const ALIGN = 64;
const MAX_ROWS_DIGITS = 16;

function headerText(dtype: NpyWriterDType, shape: readonly number[]): string {
  const s = shape.length === 1 ? `(${shape[0]},)` : `(${shape.join(', ')})`;
  return `{'descr': '${DESCR[dtype]}', 'fortran_order': False, 'shape': ${s}, }`;
}

/** Preamble + dict padded with spaces to `total` bytes, ending in '\n' (NEP 1). */
function headerBytes(dict: string, total: number): Uint8Array {
  const body = dict.padEnd(total - 10 - 1, ' ') + '\n';
  const out = new Uint8Array(total);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0]);
  new DataView(out.buffer).setUint16(8, body.length, true);
  out.set(Buffer.from(body, 'latin1'), 10);
  return out;
}

export class NpyWriter {
  readonly path: string;
  readonly tempPath: string;
  readonly dtype: NpyWriterDType;
  readonly rowShape: readonly number[];
  readonly rowSize: number;
  private readonly expectedRows: number | undefined;
  private readonly headerLength: number;
  private fd: number | null;
  private rows = 0;

  private constructor(path: string, options: NpyWriterOptions) {
    const dtype = options.dtype ?? 'float64';
    if (dtype !== 'float32' && dtype !== 'float64') throw new InputError(`npy writer: dtype must be 'float32' or 'float64', got ${String(dtype)}`);
    if (typeof path !== 'string' || path.length === 0) throw new InputError(`npy writer: expected a non-empty path, got ${JSON.stringify(path)}`);
    const rowShape = options.rowShape;
    if (!Array.isArray(rowShape) || rowShape.some((d) => !Number.isInteger(d) || d < 0)) {
      throw new InputError(`npy writer: rowShape must be a list of non-negative integers, got ${JSON.stringify(rowShape)}`);
    }
    if (options.rows !== undefined && (!Number.isInteger(options.rows) || options.rows < 0)) {
      throw new InputError(`npy writer: rows must be a non-negative integer, got ${options.rows}`);
    }
    this.path = path;
    this.dtype = dtype;
    this.rowShape = [...rowShape];
    this.rowSize = rowShape.reduce((a, b) => a * b, 1);
    this.expectedRows = options.rows;
    const widest = headerText(dtype, [options.rows ?? 10 ** (MAX_ROWS_DIGITS - 1), ...rowShape]);
    this.headerLength = Math.ceil((10 + widest.length + 1) / ALIGN) * ALIGN;
    if (this.headerLength - 10 > 0xffff) throw new InputError(`npy writer: a row shape of rank ${rowShape.length} does not fit a version 1.0 header`);
    removeStalePartials(path);
    this.tempPath = tempPathFor(path);
    this.fd = null;
    try {
      options.onTempPath?.(this.tempPath);
      fs().mkdirSync(pathModule().dirname(path), { recursive: true });
      this.fd = fs().openSync(this.tempPath, 'w');
      this.writeHeader(options.rows ?? 0);
    } catch (err) {
      try { this.abort(); } catch { /* nothing was created (e.g. the directory is a file) */ }
      untrackTemp(this.tempPath);
      throw new InputError(`npy writer: cannot create '${this.tempPath}': ${(err as Error).message}`);
    }
  }

  /** Opens a temporary file next to `path`; nothing appears at `path` until close(). */
  static open(path: string, options: NpyWriterOptions): NpyWriter {
    return new NpyWriter(path, options);
  }

  get rowsWritten(): number {
    return this.rows;
  }

  /** Appends `rows` rows (row-major, rows·rowSize values). */
  append(values: ArrayLike<number>, rows = values.length / Math.max(this.rowSize, 1)): void {
    const fd = this.openFd();
    if (!Number.isInteger(rows)) {
      throw new InputError(`npy writer: ${values.length} values are not a whole number of rows of [${this.rowShape.join(', ')}] (${this.rowSize} values each)`);
    }
    if (values.length !== rows * this.rowSize) {
      throw new InputError(`npy writer: ${rows} rows of [${this.rowShape.join(', ')}] need ${rows * this.rowSize} values, got ${values.length}`);
    }
    if (this.expectedRows !== undefined && this.rows + rows > this.expectedRows) {
      throw new InputError(`npy writer: the header announces ${this.expectedRows} rows, appending ${rows} would make ${this.rows + rows}`);
    }
    const typed = this.dtype === 'float64' ? Float64Array.from(values) : Float32Array.from(values);
    const itemSize = this.dtype === 'float64' ? 8 : 4;
    const bytes = new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
    fs().writeSync(fd, bytes, 0, bytes.length, this.headerLength + this.rows * this.rowSize * itemSize);
    this.rows += rows;
  }

  /** Finalises the header and renames the temporary file to the target path. */
  close(): void {
    const fd = this.openFd();
    if (this.expectedRows !== undefined && this.rows !== this.expectedRows) {
      this.abort();
      throw new InputError(`npy writer: the header announces ${this.expectedRows} rows, ${this.rows} were written; '${this.path}' not written`);
    }
    try {
      if (this.expectedRows === undefined) this.writeHeader(this.rows);
      fs().fsyncSync(fd);
      fs().closeSync(fd);
      this.fd = null;
      fs().renameSync(this.tempPath, this.path);
      untrackTemp(this.tempPath);
    } catch (err) {
      this.abort();
      throw new InputError(`npy writer: cannot finish '${this.path}': ${(err as Error).message}`);
    }
  }

  /** Discards everything written: closes and deletes the temporary file (idempotent). */
  abort(): void {
    if (this.fd !== null) {
      try { fs().closeSync(this.fd); } catch { /* already closed */ }
      this.fd = null;
    }
    fs().rmSync(this.tempPath, { force: true });
    untrackTemp(this.tempPath);
  }

  private openFd(): number {
    if (this.fd === null) throw new InputError(`npy writer: '${this.path}' is already closed or aborted`);
    return this.fd;
  }

  private writeHeader(rows: number): void {
    fs().writeSync(this.fd!, headerBytes(headerText(this.dtype, [rows, ...this.rowShape]), this.headerLength), 0, this.headerLength, 0);
  }
}
