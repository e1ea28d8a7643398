/**
 * What the CLI says on stderr when a result is not what it seems: warnings (the run goes on) and
 * the diagnosis behind exit code 3. One place, so every warning has the same form and a test can
 * find it: `curvature: warning: …`.
 */
let sink: (line: string) => void = (line) => process.stderr.write(line);

export function warn(message: string): void {
  sink(`curvature: warning: ${message}\n`);
}

/** Redirects warnings (tests that run commands in-process). Returns the previous sink. */
export function setWarningSink(next: (line: string) => void): (line: string) => void {
  const prev = sink;
  sink = next;
  return prev;
}

/**
 * ‖∇J(θ)‖ above which the model is not at a minimum of its objective: influence functions are a
 * first-order expansion around a minimum (Koh & Liang 2017, §2), so their scores are off there.
 * The objective is a mean loss, so the threshold does not grow with N; L-BFGS in `train` stops at 1e-8.
 */
export const GRADIENT_WARN_THRESHOLD = 1e-3;

export function warnIfNotAtMinimum(gradNorm: number, hessian: string, damping: number): void {
  if (!(gradNorm > GRADIENT_WARN_THRESHOLD)) return;
  const hint = hessian === 'exact' && damping === 0
    ? 'train longer (curvature train --optimizer lbfgs --grad-tol 1e-8), or use --hessian gauss-newton --damping 1e-3, which stays positive definite away from a minimum'
    : 'train longer (curvature train --optimizer lbfgs --grad-tol 1e-8)';
  warn(`‖∇J(θ)‖ = ${gradNorm.toExponential(2)} > ${GRADIENT_WARN_THRESHOLD}: the model is not at a minimum of its training objective, so influence scores are only approximate; ${hint}`);
}

/** The direct solver fell back to an eigendecomposition: the curvature is indefinite. */
export function warnIfIndefinite(info: Record<string, unknown> | undefined): void {
  if (info?.['factorization'] !== 'eigh') return;
  const min = Number(info['minEigenvalue']);
  warn(`the curvature is indefinite (λ_min = ${min.toExponential(3)}, Cholesky failed): solved with an eigendecomposition, so H⁻¹ has negative directions and scores may flip sign; use --hessian gauss-newton or --damping > ${Math.abs(min).toExponential(1)}`);
}
