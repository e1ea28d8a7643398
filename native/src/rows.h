// Row kernels: gather / scatter-add of rows by int32 index, row-wise softmax and cross-entropy, and
// tanh's derivative — the optional kernels the tensor layer would otherwise run on copies.
// Semantics: src/backend/js/softmax.ts and activation-grad.ts (computed in double, like them).
// Indices and labels are checked in TypeScript (src/backend/checks.ts) before any call.
#pragma once

#include <cstdint>

#include "elementwise.h"

namespace cv {

/** out[i, :] = src[idx[i], :] for rows of `row` elements. src and out of one dtype. */
void gather(const View& src, const int32_t* idx, int64_t n_idx, int64_t row, const View& out);
/** out[idx[i], :] += src[i, :]. */
void scatter_add(const View& src, const int32_t* idx, int64_t n_idx, int64_t row, const View& out);
/** Row-wise softmax (log = false) or log-softmax of rows×cols, float32/float64. */
void softmax(const View& x, int64_t rows, int64_t cols, const View& out, bool log);
/** The softmax's tangents for k directions: t, out [outer, k, inner, cols], y [outer, inner, cols] (Backend.softmaxJvp). */
void softmax_jvp(const View& y, const View& t, int64_t outer, int64_t k, int64_t inner, int64_t cols, const View& out);
/** out[r] = −log softmax(z[r, :])[labels[r]]. */
void cross_entropy(const View& z, const int32_t* labels, int64_t rows, int64_t cols, const View& out);
/** out[i] = g[i]·(1 − y[i]²). */
void tanh_grad(const View& y, const View& g, const View& out, int64_t n);

}  // namespace cv
