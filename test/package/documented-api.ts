/**
 * The public names the README ("Library API") and the library guide docs/API.md (tensors and
 * solvers, I/O, errors, "Backends and threads", "Influence at scale") document, by entry point.
 * The one list both package tests use:
 * exports.test.ts imports them through the package name, tarball.test.ts from an installed tarball
 * (values at run time, values and types through tsc). A name added to the README goes here.
 */

/** Runtime values of `curvature` (beyond IO_VALUES, which the root exports too). */
export const ROOT_VALUES = [
  // tensors, memory, autodiff
  'tensor', 'Tensor', 'matmul', 'add', 'mul', 'exp', 'tanh', 'sum', 'onesLike', 'tidy', 'dispose', 'keep', 'Random',
  'grad', 'vjp', 'jvp', 'hvp', 'gnvp', 'hvpBatched', 'linearBatched', 'allFinite', 'mulAdd', 'sumSquares', 'scalar',
  // models and training
  'Sequential', 'Linear', 'Conv2d', 'Objective', 'crossEntropyLoss', 'bceWithLogitsLoss', 'mseLoss', 'fitLbfgs',
  'saveSafetensors', 'loadSafetensors', 'chunked', 'npyChunkSource',
  // curvature operators, linear algebra, solvers, estimators
  'hessianOperator', 'gaussNewtonOperator', 'empiricalFisherOperator',
  'cholesky', 'solveTriangular', 'choleskySolve', 'eigh', 'lanczos', 'arnoldi',
  'cg', 'fitSolver', 'restoreSolver', 'inverseOf', 'recommendLissa', 'hutchinsonTrace',
  'KroneckerCurvature', 'kroneckerOperator', 'restrictToBlock', 'toDense',
  // backends and threads
  'setBackend', 'getBackend', 'listBackends', 'registerBackend', 'WasmBackend', 'loadWasmFromUrl',
  'wasmSimdSupported', 'setWasmThreads', 'getWasmThreads', 'WASM_THREAD_MIN_FLOPS', 'MAX_WASM_THREADS',
  // influence
  'InfluenceModel', 'InfluenceService', 'streamInfluence', 'streamSelfInfluence', 'perturbationInfluence',
  'groupInfluence', 'retrainWithout', 'leaveOneOut', 'pbrf', 'correlationReport', 'QueryCache',
  // typed errors
  'CurvatureError', 'ShapeError', 'DTypeError', 'NotPositiveDefiniteError', 'DivergenceError',
  'BackendUnavailableError', 'UnsupportedLayerError', 'InputError', 'CancelledError', 'FitMismatchError',
] as const;

/** Types of `curvature` the README names (checked by tsc against the installed declarations). */
export const ROOT_TYPES = [
  'Backend', 'DType', 'FloatDType', 'Dataset', 'ChunkSource', 'LinearOperator', 'WasmThreadOptions', 'LanczosOptions',
  'KroneckerOperator', 'KroneckerFitOptions', 'InfluenceOptions', 'SolverOptions',
] as const;

/** Runtime values of `curvature/io`, also exported from `curvature`. */
export const IO_VALUES = [
  'readNpy', 'writeNpy', 'readNpyHeader', 'readNpyRows', 'encodeNpy', 'decodeNpy', 'NpyWriter',
  'readSafetensors', 'writeSafetensors', 'encodeSafetensors',
  'readIdx', 'writeIdx', 'encodeIdx', 'decodeIdx',
  'readCsv', 'parseCsv', 'readCsvMatrix', 'csvToMatrix',
  'loadBreastCancer', 'loadFashionMnist', 'BREAST_CANCER_FEATURES', 'FASHION_MNIST_CLASSES', 'DEBIAN_FASHION_MNIST_DIR',
  'writeFileAtomic', 'removeStalePartials', 'removeTrackedTemps', 'rawArray',
] as const;

/** Types of `curvature/io`, also exported from `curvature`. */
export const IO_TYPES = [
  'RawArray', 'RawArrayOf', 'RawDType', 'ByteSource', 'SafetensorsFile', 'NpyHeader', 'CsvOptions', 'CsvTable',
  'BreastCancer', 'FashionMnist', 'FashionMnistOptions', 'NpyWriterOptions',
] as const;

/**
 * A TypeScript module that imports every documented value and type through the package's
 * `exports` (its `types` conditions); it type-checks only if each name has declarations.
 */
export function typeCheckSource(): string {
  const list = (names: readonly string[], map: (n: string) => string) => names.map((n) => `  ${map(n)},\n`).join('');
  const root = list(ROOT_VALUES, (n) => n) + list(IO_VALUES, (n) => n) +
    list(ROOT_TYPES, (n) => `type ${n}`) + list(IO_TYPES, (n) => `type ${n}`);
  const io = list(IO_VALUES, (n) => `${n} as io_${n}`) + list(IO_TYPES, (n) => `type ${n} as io_${n}`);
  return [
    `import {\n${root}} from 'curvature';`,
    `import {\n${io}} from 'curvature/io';`,
    `const a: RawArray = rawArray(new Float64Array([1, 2]), [2]);`,
    `const b: io_RawArray = io_rawArray(new Float64Array([3]), [1]);`,
    `const t: Tensor = tensor([[1, 2], [3, 4]], undefined, 'float64');`,
    `export const used = [a, b, t];`,
    '',
  ].join('\n');
}
