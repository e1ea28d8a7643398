// im2col / col2im, the twin of wasm/src/im2col.c: one image at a time, one patch column (ch, i, j)
// at a time, one output row oh at a time, the inner loop over the outW output columns (an image
// row read with stride strideW, the patch column written with stride c·kh·kw) with the in-image
// range computed once per (i, oh) and (j) — long inner loops instead of kw-element rows; an image's
// patch block stays in cache while it is visited column by column. Images are independent and are
// spread over the thread pool; each pixel's sum is formed inside one image in (ch, i, j, oh, ow)
// order (the reference's), whatever the thread count.
#include "im2col.h"

#include <algorithm>
#include <cstring>

#include "pool.h"

namespace cv {
namespace {

/** Outputs o in [lo, hi) whose tap t reads a pixel o·s + t·d − p inside [0, size). */
inline void out_range(int64_t t, int64_t s, int64_t d, int64_t p, int64_t size, int64_t out, int64_t& lo, int64_t& hi) {
  const int64_t a = p - t * d, q = size - 1 + p - t * d;
  int64_t l = a <= 0 ? 0 : (a + s - 1) / s;
  int64_t h = q < 0 ? 0 : q / s + 1;
  h = std::min(h, out);
  lo = std::min(l, h);
  hi = h;
}

template <typename T, bool Adjoint>
void image(const T* src, const Im2col& g, T* dst, int64_t b) {
  const int64_t plane = g.h * g.w, ck = g.c * g.kh * g.kw, block = g.oh * g.ow * ck;
  const T* s0 = src + (Adjoint ? b * block : b * g.c * plane);
  T* d0 = dst + (Adjoint ? b * g.c * plane : b * block);
  if (Adjoint) std::memset(d0, 0, static_cast<size_t>(g.c * plane) * sizeof(T));
  for (int64_t ch = 0; ch < g.c; ch++) {
    for (int64_t i = 0; i < g.kh; i++) {
      int64_t ohlo, ohhi;
      out_range(i, g.sh, g.dh, g.ph, g.h, g.oh, ohlo, ohhi);
      for (int64_t j = 0; j < g.kw; j++) {
        int64_t owlo, owhi;
        out_range(j, g.sw, g.dw, g.pw, g.w, g.ow, owlo, owhi);
        const int64_t col = (ch * g.kh + i) * g.kw + j, n_in = owhi - owlo;
        for (int64_t oh = 0; oh < g.oh; oh++) {
          const int64_t at = oh * g.ow * ck + col;  // patch entry of (oh, 0)
          if (oh < ohlo || oh >= ohhi) {
            if (!Adjoint) for (int64_t ow = 0; ow < g.ow; ow++) d0[at + ow * ck] = T(0);
            continue;
          }
          // The first in-image pixel, of output column owlo.
          const int64_t px = ch * plane + (oh * g.sh + i * g.dh - g.ph) * g.w + owlo * g.sw + j * g.dw - g.pw;
          if (Adjoint) {
            T* img = d0 + px;
            const T* cl = s0 + at + owlo * ck;
            for (int64_t k = 0; k < n_in; k++) img[k * g.sw] += cl[k * ck];
          } else {
            const T* img = s0 + px;
            T* cl = d0 + at;
            int64_t ow = 0;
            for (; ow < owlo; ow++) cl[ow * ck] = T(0);
            for (int64_t k = 0; k < n_in; k++) cl[(owlo + k) * ck] = img[k * g.sw];
            for (ow = owhi; ow < g.ow; ow++) cl[ow * ck] = T(0);
          }
        }
      }
    }
  }
}

template <typename T, bool Adjoint>
void run(const View& src, const Im2col& g, const View& dst) {
  const T* s = static_cast<const T*>(src.data);
  T* d = static_cast<T*>(dst.data);
  // Below ~64k patch entries per call the pool's hand-off costs more than it saves.
  const int64_t entries = g.n * g.oh * g.ow * g.c * g.kh * g.kw;
  if (g.n <= 1 || entries < (int64_t{1} << 16)) {
    for (int64_t b = 0; b < g.n; b++) image<T, Adjoint>(s, g, d, b);
    return;
  }
  parallel_for(g.n, [&](int64_t b) { image<T, Adjoint>(s, g, d, b); });
}

template <typename T>
void argmax_planes(const T* x, const Im2col& g, int32_t* argmax, int64_t p0, int64_t p1) {
  for (int64_t p = p0; p < p1; p++) {
    const int64_t base = p * g.h * g.w;
    int32_t* out = argmax + p * g.oh * g.ow;
    for (int64_t oh = 0; oh < g.oh; oh++) {
      for (int64_t ow = 0; ow < g.ow; ow++) {
        int64_t best = -1;
        T bv = 0;
        for (int64_t i = 0; i < g.kh; i++) {
          const int64_t ih = oh * g.sh + i * g.dh - g.ph;
          if (ih < 0 || ih >= g.h) continue;
          for (int64_t j = 0; j < g.kw; j++) {
            const int64_t iw = ow * g.sw + j * g.dw - g.pw;
            if (iw < 0 || iw >= g.w) continue;
            const int64_t k = base + ih * g.w + iw;
            const T v = x[k];
            if (best < 0 || v > bv || (v != v && bv == bv)) { best = k; bv = v; }
          }
        }
        *out++ = static_cast<int32_t>(best);
      }
    }
  }
}

template <typename T>
void argmax_run(const T* x, const Im2col& g, int32_t* argmax) {
  const int64_t planes = g.n * g.c;
  if (planes * g.oh * g.ow * g.kh * g.kw < (int64_t{1} << 16)) { argmax_planes(x, g, argmax, 0, planes); return; }
  const int64_t grain = 16, parts = (planes + grain - 1) / grain;
  parallel_for(parts, [&](int64_t q) { argmax_planes(x, g, argmax, q * grain, std::min(planes, (q + 1) * grain)); });
}

}  // namespace

void maxpool_argmax(const View& x, const Im2col& g, int32_t* argmax) {
  if (x.dtype == DType::F32) argmax_run(static_cast<const float*>(x.data), g, argmax);
  else argmax_run(static_cast<const double*>(x.data), g, argmax);
}

void im2col(const View& x, const Im2col& g, const View& cols) {
  if (x.dtype == DType::F32) run<float, false>(x, g, cols);
  else run<double, false>(x, g, cols);
}

void col2im(const View& cols, const Im2col& g, const View& x) {
  if (cols.dtype == DType::F32) run<float, true>(cols, g, x);
  else run<double, true>(cols, g, x);
}

}  // namespace cv
