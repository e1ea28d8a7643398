import { getBackend } from '../backend/registry.js';
import type { Backend, BackendBuffer, DType, TypedArray } from '../backend/types.js';
import { track, type Scope } from './scope.js';

let nextId = 1;

/** Debug mode: warns about leaked tensors and kernel fallbacks (env CURVATURE_DEBUG=1). */
export const debug = { enabled: typeof process !== 'undefined' && process.env?.['CURVATURE_DEBUG'] === '1' };

/** Frees buffers of tensors the user forgot to dispose — a safety net, not a memory strategy. */
const leakNet = new FinalizationRegistry<{ storage: Storage; shape: readonly number[] }>((held) => {
  if (debug.enabled) console.warn(`curvature: a tensor of shape [${held.shape.join(', ')}] was garbage-collected without dispose()`);
  release(held.storage);
});

/** A backend buffer shared by tensors that view it whole (reshape shares, never copies). */
export interface Storage {
  readonly backend: Backend;
  readonly buf: BackendBuffer;
  refs: number;
}

function release(storage: Storage): void {
  if (--storage.refs === 0) storage.backend.free(storage.buf);
}

/**
 * Information a transformation (autodiff trace) attaches to a tracer tensor. The tensor layer
 * treats it as opaque; src/autodiff interprets it.
 */
export interface TraceInfo {
  readonly trace: { readonly level: number };
  /** The value one level down (a concrete tensor or a lower-level tracer). */
  readonly primal: Tensor;
}

/**
 * A multi-dimensional array with value semantics. A concrete tensor owns a backend buffer; a
 * tracer (level > 0) wraps a lower-level value for an autodiff transformation.
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly dtype: DType;
  readonly size: number;
  /** Creation order; a tape processes nodes in decreasing id. */
  readonly id = nextId++;
  /** @internal */ readonly _level: number;
  /** @internal */ _storage: Storage | null;
  /** @internal */ readonly _trace: TraceInfo | null;
  /** @internal */ _scope: Scope | null = null;

  /** @internal Use `tensor()` or an op to make tensors. */
  constructor(shape: readonly number[], dtype: DType, storage: Storage | TraceInfo) {
    this.shape = Object.freeze(shape.slice());
    this.dtype = dtype;
    this.size = shape.reduce((a, b) => a * b, 1);
    if ('buf' in storage) {
      if (storage.buf.size !== this.size) throw new Error('internal error: storage size differs from shape');
      this._level = 0;
      storage.refs++;
      this._storage = storage;
      this._trace = null;
      leakNet.register(this, { storage, shape: this.shape }, this);  // the shape joined only if reported
      track(this);
    } else {
      this._level = storage.trace.level;
      this._storage = null;
      this._trace = storage;
    }
  }

  get rank(): number {
    return this.shape.length;
  }

  get isDisposed(): boolean {
    return this._level === 0 && this._storage === null;
  }

  /** Frees the backing buffer now. Idempotent; tracers own no buffer. */
  dispose(): void {
    if (this._level !== 0 || this._storage === null) return;
    leakNet.unregister(this);
    release(this._storage);
    this._storage = null;
    if (this._scope) {
      this._scope.tensors.delete(this);
      this._scope = null;
    }
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  /** The concrete value under any number of tracer levels. */
  concrete(): Tensor {
    let t: Tensor = this;
    while (t._trace) t = t._trace.primal;
    return t;
  }

  /** @internal Concrete tensors this value holds (a tracer's primal chain plus what the trace adds). */
  _concreteParts(): Tensor[] {
    if (!this._trace) return [this];
    const parts = (this._trace as TraceInfo & { parts?: () => Tensor[] }).parts;
    return parts ? parts.call(this._trace) : this._trace.primal._concreteParts();
  }

  /** @internal The buffer of a concrete tensor, checked for use after dispose. */
  get buffer(): BackendBuffer {
    if (this._level !== 0) throw new Error('internal error: buffer of a tracer requested');
    return this.storage.buf;
  }

  /** @internal The storage of a concrete tensor, checked for use after dispose. */
  get storage(): Storage {
    if (this._storage === null) throw new Error(`tensor [${this.shape.join(',')}] ${this.dtype} was used after dispose()`);
    return this._storage;
  }

  /** @internal The backend holding a concrete tensor's buffer. */
  get backend(): Backend {
    return this.concrete().storage.backend;
  }

  /** A typed-array copy of the values (of the primal, for tracers); same as dataAsync(). */
  data(): Promise<TypedArray> {
    return this.dataAsync();
  }

  /**
   * The values without blocking: Backend.readAsync where the backend has it (a GPU backend
   * resolves when the device-to-host copy completes), else the synchronous read, resolved at once.
   * The tensor must stay undisposed until the promise resolves.
   */
  dataAsync(): Promise<TypedArray> {
    try {
      const c = this.concrete();
      const { backend } = c.storage;
      return backend.readAsync ? backend.readAsync(c.buffer) : Promise.resolve(backend.read(c.buffer));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Synchronous copy of the values. */
  dataSync(): TypedArray {
    const c = this.concrete();
    return c.storage.backend.read(c.buffer);
  }

  /** The single value of a size-1 tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item() needs a tensor with one element, got shape [${this.shape.join(',')}]`);
    return this.dataSync()[0]!;
  }

  /** Nested JS arrays (for printing and tests). */
  toArray(): unknown {
    const d = this.dataSync();
    const build = (dim: number, off: number): unknown => {
      if (dim === this.shape.length) return d[off];
      const stride = this.shape.slice(dim + 1).reduce((a, b) => a * b, 1);
      return Array.from({ length: this.shape[dim]! }, (_, i) => build(dim + 1, off + i * stride));
    };
    return build(0, 0);
  }

  toString(): string {
    return `Tensor(${this.dtype}, [${this.shape.join(', ')}]${this._level ? `, tracer level ${this._level}` : ''})`;
  }
}

export function isTensor(x: unknown): x is Tensor {
  return x instanceof Tensor;
}

/** A new uninitialised concrete tensor on `backend` (default: the active backend). */
export function empty(shape: readonly number[], dtype: DType, backend: Backend = getBackend()): Tensor {
  const size = shape.reduce((a, b) => a * b, 1);
  return new Tensor(shape, dtype, { backend, buf: backend.alloc(dtype, size), refs: 0 });
}

/** A concrete tensor of a new shape viewing the same storage (no copy). */
export function view(t: Tensor, shape: readonly number[]): Tensor {
  return new Tensor(shape, t.dtype, t.storage);
}
