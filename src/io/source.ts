/**
 * Getting bytes or text from a file path or an in-memory buffer, with InputErrors that name the
 * path. Shared by every reader in `src/io`.
 */
import { InputError } from '../errors.js';

// Node file access without a static `node:` import (as in src/backend/wasm/loader.ts), so that the
// library also loads in a browser bundle, where only in-memory Uint8Array sources apply.
const isNode = typeof process !== 'undefined' && typeof process.versions?.node === 'string';
type NodeModules = {
  fs: typeof import('node:fs'); path: typeof import('node:path'); url: typeof import('node:url');
  zlib: typeof import('node:zlib'); buffer: typeof import('node:buffer');
};
const node: NodeModules | null = isNode
  ? { fs: await import('node:fs'), path: await import('node:path'), url: await import('node:url'), zlib: await import('node:zlib'), buffer: await import('node:buffer') }
  : null;

/** Node's fs, path, url, zlib and buffer modules, or an InputError naming the action when there is no Node.js. */
export function nodeFs(action: string, path: string): NodeModules {
  if (!node) throw new InputError(`cannot ${action} '${path}': no file system here (not Node.js); pass the bytes as a Uint8Array`);
  return node;
}

/** A file path, or the file's bytes already in memory. */
export type ByteSource = string | Uint8Array;

/** Label used in error messages: the path, or `<bytes>` for an in-memory buffer. */
export function sourceName(source: ByteSource): string {
  return typeof source === 'string' ? source : `<${source.length} bytes in memory>`;
}

/** Read a whole file (or return the given bytes). Missing/unreadable files become InputError. */
export function readBytes(source: ByteSource, what = 'file'): Uint8Array {
  if (source instanceof Uint8Array) return source;
  if (typeof source !== 'string') {
    throw new InputError(`expected a ${what} path (string) or a Uint8Array, got ${source === null ? 'null' : typeof source}`);
  }
  const { fs } = nodeFs('read', source);
  try {
    const buf = fs.readFileSync(source);
    return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
  } catch (err) {
    throw fileError(source, what, err);
  }
}

/** Bytes [offset, offset + length) of a file (a positioned read: the rest of the file is not loaded). */
export function readRange(path: string, offset: number, length: number, what = 'file'): Uint8Array {
  const { fs } = nodeFs('read', path);
  let fd: number;
  try { fd = fs.openSync(path, 'r'); } catch (err) { throw fileError(path, what, err); }
  try {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const r = fs.readSync(fd, out, done, length - done, offset + done);
      if (r === 0) throw new InputError(`${what} '${path}': expected ${length} bytes at offset ${offset}, the file ends after ${done} (truncated or changed file?)`);
      done += r;
    }
    return out;
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw fileError(path, what, err);
  } finally {
    fs.closeSync(fd);
  }
}

/** The size of a file in bytes. */
export function fileSize(path: string, what = 'file'): number {
  const { fs } = nodeFs('read', path);
  try { return fs.statSync(path).size; } catch (err) { throw fileError(path, what, err); }
}

function fileError(path: string, what: string, err: unknown): InputError {
  const code = (err as NodeJS.ErrnoException)?.code;
  if (code === 'ENOENT') return new InputError(`${what} not found: '${path}' does not exist`);
  if (code === 'EISDIR') return new InputError(`expected a ${what} at '${path}', got a directory`);
  return new InputError(`cannot read ${what} '${path}': ${(err as Error).message}`);
}
