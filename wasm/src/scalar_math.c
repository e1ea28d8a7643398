/*
 * erf, softplus, sigmoid in double precision, written from the same mathematics and evaluated
 * in the same order as src/backend/js/elementwise.ts, so both backends agree to the last bit
 * whenever libm's exp/log1p agree with V8's.
 */
#include "scalar_math.h"

#include <math.h>

/*
 * erfc(x) for x ≥ 2.5 from its continued fraction
 *   erfc(x) = e^{−x²}/√π · 1/K,  K = x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …)))),
 * evaluated by the modified Lentz algorithm (partial numerators a_n = n/2).
 */
static double erfc_large(double x) {
  const double tiny = 1e-300;
  double f = x, c = x, d = 0;
  for (int n = 1; n < 200; n++) {
    const double an = n / 2.0;
    d = x + an * d;
    d = d == 0 ? tiny : d;
    c = x + an / c;
    c = c == 0 ? tiny : c;
    d = 1 / d;
    const double delta = c * d;
    f *= delta;
    if (fabs(delta - 1) < 1e-16) break;
  }
  return exp(-x * x) / (sqrt(3.141592653589793) * f);
}

/* erf: Maclaurin series 2/√π Σ (−1)ⁿ x^(2n+1)/(n!(2n+1)) for |x| < 2.5, else sign(x)·(1 − erfc|x|). */
double cv_erf(double x) {
  const double ax = fabs(x);
  if (ax < 2.5) {
    double term = x, sum = x;
    const double x2 = x * x;
    for (int n = 1; n < 100; n++) {
      term *= -x2 / n;
      const double add = term / (2 * n + 1);
      sum += add;
      if (fabs(add) < 1e-17 * fabs(sum)) break;
    }
    return (2 / sqrt(3.141592653589793)) * sum;
  }
  /* Math.sign: NaN stays NaN (ax < 2.5 is false for NaN), ±1 otherwise (ax ≥ 2.5 here). */
  if (x != x) return x;
  const double s = x > 0 ? 1.0 : -1.0;
  return s * (1 - erfc_large(ax));
}

/* log(1 + eˣ) without overflow: x + log1p(e^{−x}) for x > 0. */
double cv_softplus(double x) { return x > 0 ? x + log1p(exp(-x)) : log1p(exp(x)); }

/* 1/(1 + e^{−x}), written as eˣ/(1 + eˣ) for x < 0 so that e^{−x} cannot overflow. */
double cv_sigmoid(double x) {
  if (x >= 0) return 1 / (1 + exp(-x));
  const double e = exp(x);
  return e / (1 + e);
}
