/* Axis coalescing for the strided kernels (the C twin of coalesce() in src/backend/js/strided.ts). */
#include "cv_internal.h"

int cv_coalesce(int rank, const int *shape, int nops, const int *const *strides, cv_layout *out) {
  out->nops = nops;
  out->rank = 0;
  for (int d = 0; d < rank; d++)
    if (shape[d] <= 0) return 0;
  for (int d = 0; d < rank; d++) {
    const int n = shape[d];
    if (n == 1) continue; /* a size-1 axis moves no offset */
    const int last = out->rank - 1;
    int merge = last >= 0;
    for (int o = 0; merge && o < nops; o++) merge = out->strides[o][last] == strides[o][d] * n;
    if (merge) {
      out->shape[last] *= n;
      for (int o = 0; o < nops; o++) out->strides[o][last] = strides[o][d];
    } else {
      out->shape[out->rank] = n;
      for (int o = 0; o < nops; o++) out->strides[o][out->rank] = strides[o][d];
      out->rank++;
    }
  }
  if (out->rank == 0) { /* a scalar: one row of one element */
    out->rank = 1;
    out->shape[0] = 1;
    for (int o = 0; o < nops; o++) out->strides[o][0] = 0;
  }
  return 1;
}

void cv_contiguous_strides(int rank, const int *shape, int *out) {
  int s = 1;
  for (int d = rank - 1; d >= 0; d--) {
    out[d] = s;
    s *= shape[d];
  }
}
