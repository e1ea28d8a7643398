/*
 * im2col / col2im (src/backend/types.ts, Im2colGeometry): the patches of an image x [n, c, h, w] as
 * cols [n, outH·outW, c·kh·kw], rows channel-major, zero padding; col2im adds every entry of cols
 * back into the pixel it came from (out overwritten). g holds the geometry as 14 int32
 * [n, c, h, w, kh, kw, strideH, strideW, padH, padW, dilationH, dilationW, outH, outW], checked by
 * the caller.
 *
 * One image at a time, one patch column (ch, i, j) at a time, one output row oh at a time: the
 * inner loop runs over the outW output columns, reading an image row with stride strideW and
 * writing the patch column with stride c·kh·kw — long inner loops with the in-image range computed
 * once per (i, oh) and (j), instead of kw-element rows (an image's patch block, ≤ a few hundred KiB
 * for CNN layers, stays in cache while it is visited column by column). col2im sums each pixel's
 * contributions in (ch, i, j, oh, ow) order, like the reference.
 */
#include "cv_internal.h"

/* Outputs o in [*lo, *hi) whose tap t reads a pixel o·s + t·d − p inside [0, size). */
CV_INLINE void cv_out_range(int t, int s, int d, int p, int size, int out, int *lo, int *hi) {
  const int a = p - t * d, q = size - 1 + p - t * d;
  int l = a <= 0 ? 0 : (a + s - 1) / s;
  int h = q < 0 ? 0 : q / s + 1;
  if (h > out) h = out;
  if (l > h) l = h;
  *lo = l;
  *hi = h;
}

#define DEFINE_IM2COL(NAME, T, ADJOINT)                                                             \
  void NAME(const T *src, const int *g, T *dst) {                                                  \
    const int n = g[0], c = g[1], h = g[2], w = g[3], kh = g[4], kw = g[5];                         \
    const int sh = g[6], sw = g[7], ph = g[8], pw = g[9], dh = g[10], dw = g[11];                  \
    const int oh_n = g[12], ow_n = g[13];                                                          \
    const int ck = c * kh * kw;                                                                    \
    const size_t plane = (size_t)h * w, block = (size_t)oh_n * ow_n * ck;                          \
    if (ADJOINT) memset(dst, 0, (size_t)n * c * plane * sizeof(T));                                \
    for (int b = 0; b < n; b++) {                                                                  \
      const T *s0 = src + (ADJOINT ? b * block : b * c * plane);                                   \
      T *d0 = dst + (ADJOINT ? b * c * plane : b * block);                                         \
      for (int ch = 0; ch < c; ch++)                                                               \
        for (int i = 0; i < kh; i++) {                                                             \
          int ohlo, ohhi;                                                                          \
          cv_out_range(i, sh, dh, ph, h, oh_n, &ohlo, &ohhi);                                      \
          for (int j = 0; j < kw; j++) {                                                           \
            int owlo, owhi;                                                                        \
            cv_out_range(j, sw, dw, pw, w, ow_n, &owlo, &owhi);                                    \
            const int col = (ch * kh + i) * kw + j;                                                \
            for (int oh = 0; oh < oh_n; oh++) {                                                    \
              const size_t at = (size_t)oh * ow_n * ck + col; /* patch entry of (oh, 0) */         \
              if (oh < ohlo || oh >= ohhi) {                                                       \
                if (!ADJOINT) for (int ow = 0; ow < ow_n; ow++) d0[at + (size_t)ow * ck] = 0;      \
                continue;                                                                          \
              }                                                                                    \
              /* pixel of (oh, ow) = px + ow·sw, valid for ow in [owlo, owhi) */                  \
              const long px = (long)ch * (long)plane + (long)(oh * sh + i * dh - ph) * w + j * dw - pw; \
              if (ADJOINT) {                                                                       \
                T *img = d0 + (px + (long)owlo * sw); /* first in-image pixel */                  \
                const T *cl = s0 + at + (size_t)owlo * ck;                                         \
                for (int k = 0; k < owhi - owlo; k++) img[k * sw] += cl[(size_t)k * ck];           \
              } else {                                                                             \
                const T *img = s0 + (px + (long)owlo * sw);                                        \
                T *cl = d0 + at;                                                                   \
                int ow = 0;                                                                        \
                for (; ow < owlo; ow++) cl[(size_t)ow * ck] = 0;                                   \
                for (; ow < owhi; ow++) cl[(size_t)ow * ck] = img[(ow - owlo) * sw];               \
                for (; ow < ow_n; ow++) cl[(size_t)ow * ck] = 0;                                   \
              }                                                                                    \
            }                                                                                      \
          }                                                                                        \
        }                                                                                          \
    }                                                                                              \
  }

DEFINE_IM2COL(cv_im2col_f32, float, 0)
DEFINE_IM2COL(cv_im2col_f64, double, 0)
DEFINE_IM2COL(cv_col2im_f32, float, 1)
DEFINE_IM2COL(cv_col2im_f64, double, 1)

/*
 * Max-pooling's argmax: for each window of x [n, c, h, w] (padding taps skipped), the flat index
 * into x of its largest value — the first in row-major window order among equal ones, a NaN
 * winning over numbers. Every window holds an in-image tap (checked by the caller).
 */
#define DEFINE_MAXPOOL_ARGMAX(NAME, T)                                                              \
  void NAME(const T *x, const int *g, int32_t *argmax) {                                           \
    const int n = g[0], c = g[1], h = g[2], w = g[3], kh = g[4], kw = g[5];                         \
    const int sh = g[6], sw = g[7], ph = g[8], pw = g[9], dh = g[10], dw = g[11];                  \
    const int oh_n = g[12], ow_n = g[13];                                                          \
    int32_t *out = argmax;                                                                         \
    for (int p = 0; p < n * c; p++) {                                                              \
      const int base = p * h * w;                                                                  \
      for (int oh = 0; oh < oh_n; oh++) {                                                          \
        for (int ow = 0; ow < ow_n; ow++) {                                                        \
          int best = -1;                                                                           \
          T bv = 0;                                                                                \
          for (int i = 0; i < kh; i++) {                                                           \
            const int ih = oh * sh + i * dh - ph;                                                  \
            if (ih < 0 || ih >= h) continue;                                                       \
            for (int j = 0; j < kw; j++) {                                                         \
              const int iw = ow * sw + j * dw - pw;                                                \
              if (iw < 0 || iw >= w) continue;                                                     \
              const int k = base + ih * w + iw;                                                    \
              const T v = x[k];                                                                    \
              if (best < 0 || v > bv || (v != v && bv == bv)) { best = k; bv = v; }                \
            }                                                                                      \
          }                                                                                        \
          *out++ = best;                                                                           \
        }                                                                                          \
      }                                                                                            \
    }                                                                                              \
  }

DEFINE_MAXPOOL_ARGMAX(cv_maxpool_argmax_f32, float)
DEFINE_MAXPOOL_ARGMAX(cv_maxpool_argmax_f64, double)
