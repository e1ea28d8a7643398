/*
 * Scalar functions whose exact formula is part of the reference backend's semantics
 * (src/backend/js/elementwise.ts): erf, softplus and sigmoid, evaluated in double precision with
 * the same operations in the same order.
 */
#ifndef CV_SCALAR_MATH_H
#define CV_SCALAR_MATH_H

double cv_erf(double x);
double cv_softplus(double x);
double cv_sigmoid(double x);

#endif
