import type { Backend, BackendBuffer, DType } from '../../src/backend/types.js';
import { WasmBackend } from '../../src/backend/wasm/index.js';

const ITEM: Record<DType, number> = { float64: 8, float32: 4, int32: 4 };

/**
 * Counts the bytes of backend buffers allocated and not yet freed, on any backend: wraps the
 * backend's alloc/free (the js backend has no allocator statistics of its own; the wasm backend's
 * allocatedBytes() is reported alongside). Buffers allocated before the counter was installed are
 * not counted, and freeing them does not change it. uninstall() restores the backend's methods.
 */
export class BackendBytes {
  private live = new Map<BackendBuffer, number>();
  private bytes = 0;
  private readonly restore: () => void;

  constructor(readonly backend: Backend) {
    const hadAlloc = Object.prototype.hasOwnProperty.call(backend, 'alloc');
    const hadFree = Object.prototype.hasOwnProperty.call(backend, 'free');
    const alloc = backend.alloc, free = backend.free;
    backend.alloc = (dtype: DType, size: number): BackendBuffer => {
      const buf = alloc.call(backend, dtype, size);
      const n = Math.max(1, size) * ITEM[dtype];
      this.live.set(buf, n);
      this.bytes += n;
      return buf;
    };
    backend.free = (buf: BackendBuffer): void => {
      const n = this.live.get(buf);
      if (n !== undefined) { this.live.delete(buf); this.bytes -= n; }
      free.call(backend, buf);
    };
    this.restore = () => {
      if (hadAlloc) backend.alloc = alloc; else delete (backend as { alloc?: unknown }).alloc;
      if (hadFree) backend.free = free; else delete (backend as { free?: unknown }).free;
    };
  }

  /** Bytes of counted buffers still allocated (and, on wasm, the allocator's own figure). */
  sample(): { counted: number; wasmAllocated?: number } {
    return this.backend instanceof WasmBackend ? { counted: this.bytes, wasmAllocated: this.backend.allocatedBytes() } : { counted: this.bytes };
  }

  uninstall(): void {
    this.restore();
  }
}
