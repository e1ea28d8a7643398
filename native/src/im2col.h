// im2col / col2im (src/backend/types.ts, Im2colGeometry): the patches of an image x [n, c, h, w] as
// cols [n, outH·outW, c·kh·kw], rows channel-major, zero padding; col2im adds every patch entry back
// into its pixel (out overwritten). The geometry is checked in TypeScript (src/backend/im2col.ts).
#pragma once

#include <cstdint>

#include "elementwise.h"

namespace cv {

/** n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW. */
struct Im2col {
  int64_t n, c, h, w, kh, kw, sh, sw, ph, pw, dh, dw, oh, ow;
};

/** cols ← patches of x (float32/float64, one dtype). Images are split over the thread pool. */
void im2col(const View& x, const Im2col& g, const View& cols);
/** x ← Σ patches of cols, summed per pixel in cols' storage order (so per image, thread-count free). */
void col2im(const View& cols, const Im2col& g, const View& x);

/**
 * Max-pooling's argmax [n, c, oh, ow]: the flat index into x of each window's first largest value
 * (padding skipped, NaN wins); every window holds an in-image tap (checked by the caller).
 */
void maxpool_argmax(const View& x, const Im2col& g, int32_t* argmax);

}  // namespace cv
