/**
 * Typed errors (see DESIGN.md, "Errors"). Every message says what was expected and what came.
 * A failed call must leave models, caches and backends usable: throw before mutating state.
 */

/** Base class so callers can catch every curvature error at once. */
export class CurvatureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Shapes do not agree (matmul inner dimensions, broadcasting, parameter counts, data vs model). */
export class ShapeError extends CurvatureError {}

/** A dtype is not supported by the operation, or two operands disagree. */
export class DTypeError extends CurvatureError {}

/** Cholesky met a non-positive pivot, or CG met non-positive curvature pᵀAp ≤ 0. */
export class NotPositiveDefiniteError extends CurvatureError {
  /** Index of the failing pivot (Cholesky) or the iteration (CG). */
  readonly index: number;
  /** The offending value: the pivot before its square root, or pᵀAp/pᵀp. */
  readonly value: number;
  constructor(message: string, index: number, value: number) {
    super(message);
    this.index = index;
    this.value = value;
  }
}

/** An iterative series (LiSSA, Neumann) blew up; `suggestedScale` is the scale that would tame it. */
export class DivergenceError extends CurvatureError {
  readonly suggestedScale: number | undefined;
  constructor(message: string, suggestedScale?: number) {
    super(message);
    this.suggestedScale = suggestedScale;
  }
}

/** A backend (wasm, cuda) cannot be loaded or used; `reason` says why. */
export class BackendUnavailableError extends CurvatureError {
  readonly reason: string;
  constructor(backend: string, reason: string) {
    super(`backend '${backend}' is unavailable: ${reason}`);
    this.reason = reason;
  }
}

/** A layer that a Kronecker-factored method cannot factor. */
export class UnsupportedLayerError extends CurvatureError {}

/** Bad files, malformed formats, NaN/Inf in inputs, out-of-range labels, bad options. */
export class InputError extends CurvatureError {}

/** A long-running call was cancelled through its AbortSignal; nothing it was writing is left behind. */
export class CancelledError extends CurvatureError {}

/**
 * A saved fit (InfluenceModel.load, `--load-fit`) does not match what it is loaded for: `field`
 * names what differs (θ, architecture, loss, training-set size, solver, …), `saved` is what the fit
 * has and `given` what was passed.
 */
export class FitMismatchError extends InputError {
  readonly field: string;
  readonly saved: unknown;
  readonly given: unknown;
  constructor(field: string, saved: unknown, given: unknown, what = 'fit') {
    super(`${what}: ${field} differs: the saved fit has ${JSON.stringify(saved)}, given ${JSON.stringify(given)}`);
    this.field = field;
    this.saved = saved;
    this.given = given;
  }
}
