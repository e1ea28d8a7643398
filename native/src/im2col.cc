// im2col / col2im: one pass over the patch matrix per image in storage order, one kernel row (kw
// entries) at a time, with each output column's in-image tap range computed once (the twin of
// wasm/src/im2col.c). Images are independent, so they are spread over the thread pool; every
// pixel's sum is formed inside one image in a fixed order, whatever the thread count.
#include "im2col.h"

#include <algorithm>
#include <cstring>

#include "pool.h"

namespace cv {
namespace {

/** First and one-past-last tap t in [0, k) whose pixel o·s + t·d − p lies in [0, size). */
inline void tap_range(int64_t o, int64_t s, int64_t d, int64_t p, int64_t size, int64_t k, int64_t& lo, int64_t& hi) {
  const int64_t base = o * s - p;
  int64_t a = base >= 0 ? 0 : (-base + d - 1) / d;
  int64_t b = base > size - 1 ? 0 : (size - 1 - base) / d + 1;
  a = std::min(a, k);
  b = std::max(a, std::min(b, k));
  lo = a;
  hi = b;
}

template <typename T, bool Adjoint>
void image(const T* src, const Im2col& g, T* dst, int64_t b) {
  const int64_t plane = g.h * g.w, ck = g.c * g.kh * g.kw;
  const T* x = Adjoint ? nullptr : src + b * g.c * plane;
  T* img = Adjoint ? dst + b * g.c * plane : nullptr;
  const T* ycols = Adjoint ? src + b * g.oh * g.ow * ck : nullptr;
  T* cols = Adjoint ? nullptr : dst + b * g.oh * g.ow * ck;
  if (Adjoint) std::memset(img, 0, static_cast<size_t>(g.c * plane) * sizeof(T));
  int64_t at = 0;
  for (int64_t oh = 0; oh < g.oh; oh++) {
    int64_t ilo, ihi;
    tap_range(oh, g.sh, g.dh, g.ph, g.h, g.kh, ilo, ihi);
    for (int64_t ow = 0; ow < g.ow; ow++) {
      int64_t jlo, jhi;
      tap_range(ow, g.sw, g.dw, g.pw, g.w, g.kw, jlo, jhi);
      const int64_t iw0 = ow * g.sw - g.pw;
      for (int64_t ch = 0; ch < g.c; ch++) {
        const int64_t base = ch * plane;
        for (int64_t i = 0; i < g.kh; i++, at += g.kw) {
          if (i < ilo || i >= ihi) {
            if (!Adjoint) std::fill(cols + at, cols + at + g.kw, T(0));
            continue;
          }
          const int64_t row = base + (oh * g.sh + i * g.dh - g.ph) * g.w + iw0;
          if (Adjoint) {
            for (int64_t j = jlo; j < jhi; j++) img[row + j * g.dw] += ycols[at + j];
          } else {
            for (int64_t j = 0; j < jlo; j++) cols[at + j] = T(0);
            if (g.dw == 1) std::memcpy(cols + at + jlo, x + row + jlo, static_cast<size_t>(jhi - jlo) * sizeof(T));
            else for (int64_t j = jlo; j < jhi; j++) cols[at + j] = x[row + j * g.dw];
            for (int64_t j = jhi; j < g.kw; j++) cols[at + j] = T(0);
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

}  // namespace

void im2col(const View& x, const Im2col& g, const View& cols) {
  if (x.dtype == DType::F32) run<float, false>(x, g, cols);
  else run<double, false>(x, g, cols);
}

void col2im(const View& cols, const Im2col& g, const View& x) {
  if (cols.dtype == DType::F32) run<float, true>(cols, g, x);
  else run<double, true>(cols, g, x);
}

}  // namespace cv
