/*
 * cv_potrf_{f32,f64}: in-place lower Cholesky factorisation; returns -1 on success, else the index
 * of the first failing pivot with its value (before the square root) in *value. See potrf_impl.h.
 */
#include "cv_internal.h"

#define T float
#define SUF f32
#include "potrf_impl.h"
#undef T
#undef SUF

#define T double
#define SUF f64
#include "potrf_impl.h"
