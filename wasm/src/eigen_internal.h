/*
 * The two halves of the symmetric eigensolver (syev.c), in double precision. They reproduce the
 * reference's arithmetic (src/backend/js/linalg/tridiagonalize.ts, tridiagonalQl.ts) operation for
 * operation, so that eigenvalues, eigenvectors and therefore the sign convention agree bit for bit
 * with the reference backend; SIMD is used only where each element's sequence of operations stays
 * the same.
 */
#ifndef CV_EIGEN_INTERNAL_H
#define CV_EIGEN_INTERNAL_H

/*
 * Householder tridiagonalisation A = Q·T·Qᵀ. z: n×n row-major, upper triangle (diagonal
 * included) holds A on entry, destroyed. d (n), e (n): diagonal / sub-diagonal of T. q: n×n
 * row-major, receives Q, or NULL. beta (n) and p (n): scratch.
 */
void cv_tridiagonalize(int n, double *z, double *d, double *e, double *q, double *beta, double *p);

/*
 * Implicit QL with Wilkinson shifts on T (d, e), rotations applied to vt, which holds the
 * TRANSPOSE of the n×n eigenvector matrix (row j of vt = column j of Q), or NULL. cs, sn (n):
 * scratch. Returns 0, -2 when more than maxIter QL steps are needed in total, or -3 when the
 * buffer of deferred rotations cannot be allocated.
 */
int cv_tridiagonal_ql(int n, double *d, double *e, double *vt, int maxIter, double *cs, double *sn);

#endif
