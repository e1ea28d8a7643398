/**
 * The slice of the WebAssembly JavaScript API the loader uses, typed locally: the project's
 * compiler settings include neither lib.dom nor a WebAssembly lib, and a global declaration here
 * would clash with a consumer's lib.dom. `wasmApi()` is the engine's global WebAssembly object.
 */

export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(deltaPages: number): number;
}

/** A compiled module (opaque). */
export interface WasmModule {
  readonly [Symbol.toStringTag]?: string;
}

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmImportDescriptor {
  readonly module: string;
  readonly name: string;
  readonly kind: string;
}

export type WasmImports = Record<string, Record<string, unknown>>;

type Bytes = ArrayBuffer | ArrayBufferView;

export interface WasmApi {
  validate(bytes: Bytes): boolean;
  compile(bytes: Bytes): Promise<WasmModule>;
  compileStreaming?: (source: Response | Promise<Response>) => Promise<WasmModule>;
  instantiate(module: WasmModule, imports?: WasmImports): Promise<WasmInstance>;
  readonly Module: {
    new (bytes: Bytes): WasmModule;
    imports(module: WasmModule): WasmImportDescriptor[];
    exports(module: WasmModule): { name: string; kind: string }[];
  };
  readonly Instance: new (module: WasmModule, imports?: WasmImports) => WasmInstance;
  readonly Memory: {
    new (descriptor: { initial: number; maximum?: number; shared?: boolean }): WasmMemory;
    readonly prototype: WasmMemory;
  };
}

/** The engine's WebAssembly object, or undefined where there is none. */
export function wasmApi(): WasmApi | undefined {
  return (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
}
