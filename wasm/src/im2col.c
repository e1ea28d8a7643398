/*
 * im2col / col2im (src/backend/types.ts, Im2colGeometry): the patches of an image x [n, c, h, w] as
 * cols [n, outH·outW, c·kh·kw], rows channel-major, zero padding; col2im adds every entry of cols
 * back into the pixel it came from (out overwritten). g holds the geometry as 14 int32
 * [n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW], checked by
 * the caller. Both walk cols in storage order, one kernel row (kw entries) at a time, with the
 * in-image column range of each output column computed once; col2im sums in the element type in
 * that order (like the reference).
 */
#include "cv_internal.h"

/* First and one-past-last kernel column j whose pixel ow·sw + j·dw − pw lies in [0, w). */
CV_INLINE void cv_tap_range(int o, int s, int d, int p, int size, int k, int *lo, int *hi) {
  const int base = o * s - p; /* pixel of tap 0 */
  int a = base >= 0 ? 0 : (-base + d - 1) / d;
  int b = base > size - 1 ? 0 : (size - 1 - base) / d + 1;
  if (a > k) a = k;
  if (b > k) b = k;
  if (b < a) b = a;
  *lo = a;
  *hi = b;
}

#define DEFINE_IM2COL(NAME, T, ADJOINT)                                                             \
  void NAME(const T *src, const int *g, T *dst) {                                                  \
    const int n = g[0], c = g[1], h = g[2], w = g[3], kh = g[4], kw = g[5];                         \
    const int sh = g[6], sw = g[7], ph = g[8], pw = g[9], dh = g[10], dw = g[11];                  \
    const int oh_n = g[12], ow_n = g[13];                                                          \
    const size_t plane = (size_t)h * w;                                                            \
    T *img = ADJOINT ? dst : 0;                                                                    \
    const T *x = ADJOINT ? 0 : src;                                                                \
    const T *ycols = ADJOINT ? src : 0;                                                            \
    T *cols = ADJOINT ? 0 : dst;                                                                   \
    if (ADJOINT) memset(img, 0, (size_t)n * c * plane * sizeof(T));                                \
    size_t at = 0;                                                                                 \
    for (int b = 0; b < n; b++)                                                                    \
      for (int oh = 0; oh < oh_n; oh++) {                                                          \
        int ilo, ihi;                                                                              \
        cv_tap_range(oh, sh, dh, ph, h, kh, &ilo, &ihi);                                           \
        for (int ow = 0; ow < ow_n; ow++) {                                                        \
          int jlo, jhi;                                                                            \
          cv_tap_range(ow, sw, dw, pw, w, kw, &jlo, &jhi);                                         \
          const int iw0 = ow * sw - pw;                                                            \
          for (int ch = 0; ch < c; ch++) {                                                         \
            const size_t base = ((size_t)b * c + ch) * plane;                                      \
            for (int i = 0; i < kh; i++, at += kw) {                                               \
              if (i < ilo || i >= ihi) {                                                           \
                if (!ADJOINT) for (int j = 0; j < kw; j++) cols[at + j] = 0;                       \
                continue;                                                                          \
              }                                                                                    \
              const size_t row = base + (size_t)(oh * sh + i * dh - ph) * w + iw0;                 \
              if (ADJOINT) {                                                                       \
                for (int j = jlo; j < jhi; j++) img[row + (size_t)j * dw] += ycols[at + j];       \
              } else {                                                                             \
                for (int j = 0; j < jlo; j++) cols[at + j] = 0;                                    \
                if (dw == 1) memcpy(cols + at + jlo, x + row + jlo, (size_t)(jhi - jlo) * sizeof(T)); \
                else for (int j = jlo; j < jhi; j++) cols[at + j] = x[row + (size_t)j * dw];      \
                for (int j = jhi; j < kw; j++) cols[at + j] = 0;                                   \
              }                                                                                    \
            }                                                                                      \
          }                                                                                        \
        }                                                                                          \
      }                                                                                            \
  }

DEFINE_IM2COL(cv_im2col_f32, float, 0)
DEFINE_IM2COL(cv_im2col_f64, double, 0)
DEFINE_IM2COL(cv_col2im_f32, float, 1)
DEFINE_IM2COL(cv_col2im_f64, double, 1)
