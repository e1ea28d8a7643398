// N-API entry points of the CUDA addon (curvature_cuda.node), node-addon-api. Buffers are integer
// handles of device memory owned by runtime.cu; JavaScript moves data with write/read/readAsync.
// Extents are checked in TypeScript (src/backend/checks.ts) and again here against each buffer's
// size, so a wrong call throws instead of touching memory it does not own. Every failure is thrown
// as an Error whose `code` is CUDA_ARG, CUDA_INPUT, CUDA_OOM, CUDA_LAUNCH or CUDA_BROKEN
// (common.h's Kind), mapped to typed errors by src/backend/cuda/errors.ts.
#define NAPI_VERSION 8
#include <napi.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "kernels.h"
#include "runtime.h"
#include "strided.h"

namespace {

using namespace cv::cuda;

/** Bumped when a function's signature changes; src/backend/cuda/addon.ts CUDA_ABI must match. */
constexpr int kAbi = 3;

const char* code_of(Kind k) {
  switch (k) {
    case Kind::Arg: return "CUDA_ARG";
    case Kind::Input: return "CUDA_INPUT";
    case Kind::Oom: return "CUDA_OOM";
    case Kind::Launch: return "CUDA_LAUNCH";
    default: return "CUDA_BROKEN";
  }
}

Napi::Error js_error(Napi::Env env, Kind k, const std::string& msg) {
  Napi::Error e = Napi::Error::New(env, "curvature_cuda: " + msg);
  e.Set("code", Napi::String::New(env, code_of(k)));
  return e;
}

/** Runs fn, turning a Failure (or any C++ exception) into a thrown JavaScript error. */
template <typename Fn>
Napi::Value guard(const Napi::CallbackInfo& info, Fn fn) {
  Napi::Env env = info.Env();
  try {
    // worker_threads share the addon's process-wide state: one JavaScript thread in it at a time.
    std::lock_guard<std::recursive_mutex> lock(state_mutex());
    return fn(env);
  } catch (const Failure& f) {
    js_error(env, f.kind, f.what()).ThrowAsJavaScriptException();
  } catch (const std::exception& e) {
    js_error(env, Kind::Arg, e.what()).ThrowAsJavaScriptException();
  }
  return env.Undefined();
}

// --- argument readers (throw Failure(Arg)) ------------------------------------------------------
double num(const Napi::CallbackInfo& info, size_t i) {
  if (i >= info.Length() || !info[i].IsNumber()) throw Failure(Kind::Arg, "argument " + std::to_string(i) + " must be a number");
  return info[i].As<Napi::Number>().DoubleValue();
}
int64_t integer(const Napi::CallbackInfo& info, size_t i) {
  const double d = num(info, i);
  const int64_t v = static_cast<int64_t>(d);
  if (static_cast<double>(v) != d) throw Failure(Kind::Arg, "argument " + std::to_string(i) + " must be an integer");
  return v;
}
int64_t nonneg(const Napi::CallbackInfo& info, size_t i) {
  const int64_t v = integer(info, i);
  if (v < 0) throw Failure(Kind::Arg, "argument " + std::to_string(i) + " must be ≥ 0");
  return v;
}
const Buffer& buf(const Napi::CallbackInfo& info, size_t i) {
  const int64_t h = integer(info, i);
  if (h <= 0 || h > 0xffffffffLL) throw Failure(Kind::Arg, "argument " + std::to_string(i) + " is not a buffer handle");
  return buffer(static_cast<uint32_t>(h));
}
bool flag(const Napi::CallbackInfo& info, size_t i) { return i < info.Length() && info[i].ToBoolean().Value(); }

template <typename T = char>
T* at(const Buffer& b, int64_t off) { return reinterpret_cast<T*>(static_cast<char*>(b.ptr) + off * static_cast<int64_t>(dtype_size(b.dtype))); }

void need(bool ok, const std::string& msg) { if (!ok) throw Failure(Kind::Arg, msg); }
void same(std::initializer_list<const Buffer*> bs) {
  for (const Buffer* b : bs) need(b->dtype == (*bs.begin())->dtype, "operands must share one dtype");
}
/** A rows×cols matrix at `off` with leading dimension ld lies inside b. */
void span(const Buffer& b, int64_t off, int64_t rows, int64_t cols, int64_t ld, const char* what) {
  if (rows <= 0 || cols <= 0) return;
  need(off >= 0 && ld >= 0 && off + (rows - 1) * ld + cols <= b.size, std::string(what) + ": operand outside its buffer");
}

/** A Float64Array [rank, shape…, strides of each of `ops` operands…]. */
void dims(const Napi::CallbackInfo& info, size_t i, size_t ops, std::vector<int64_t>& shape, std::vector<std::vector<int64_t>>& strides) {
  need(i < info.Length() && info[i].IsTypedArray() && info[i].As<Napi::TypedArray>().TypedArrayType() == napi_float64_array, "dims must be a Float64Array");
  Napi::Float64Array arr = info[i].As<Napi::Float64Array>();
  const double* d = arr.Data();
  const size_t len = arr.ElementLength();
  need(len >= 1, "dims is empty");
  const int64_t rank = static_cast<int64_t>(d[0]);
  need(rank >= 0 && static_cast<int64_t>(len) >= 1 + rank * static_cast<int64_t>(1 + ops), "dims too short");
  shape.assign(rank, 0);
  strides.assign(ops, std::vector<int64_t>(rank));
  for (int64_t r = 0; r < rank; r++) {
    shape[r] = static_cast<int64_t>(d[1 + r]);
    need(shape[r] >= 0, "negative dimension");
  }
  for (size_t k = 0; k < ops; k++)
    for (int64_t r = 0; r < rank; r++) strides[k][r] = static_cast<int64_t>(d[1 + rank * (1 + k) + r]);
}
/** Operand k's touched elements [base + lo, base + hi] inside b (nothing when the shape is empty). */
void strided_inside(const Buffer& b, const std::vector<int64_t>& shape, const std::vector<int64_t>& st, int64_t base, const char* what) {
  int64_t lo = 0, hi = 0;
  for (size_t d = 0; d < shape.size(); d++) {
    if (shape[d] == 0) return;
    const int64_t s = (shape[d] - 1) * st[d];
    (s < 0 ? lo : hi) += s;
  }
  need(base + lo >= 0 && base + hi < b.size, std::string(what) + ": strided operand outside its buffer");
}
std::vector<int64_t> contiguous(const std::vector<int64_t>& shape) {
  std::vector<int64_t> s(shape.size());
  int64_t st = 1;
  for (size_t r = shape.size(); r-- > 0;) { s[r] = st; st *= shape[r]; }
  return s;
}
int64_t count(const std::vector<int64_t>& shape) { int64_t n = 1; for (int64_t d : shape) n *= d; return n; }

DType dtype_arg(const Napi::CallbackInfo& info, size_t i) {
  const int64_t d = integer(info, i);
  need(d >= 0 && d <= 2, "dtype code must be 0 (float32), 1 (float64) or 2 (int32)");
  return static_cast<DType>(d);
}
DType typed_dtype(const Napi::TypedArray& ta) {
  switch (ta.TypedArrayType()) {
    case napi_float32_array: return DType::F32;
    case napi_float64_array: return DType::F64;
    case napi_int32_array: return DType::I32;
    default: throw Failure(Kind::Arg, "expected a Float32Array, Float64Array or Int32Array");
  }
}

// --- entry points --------------------------------------------------------------------------------

/** init() → { ok, reason }: never throws; the reason says why the device cannot run. */
Napi::Value Init_(const Napi::CallbackInfo& info) {
  std::lock_guard<std::recursive_mutex> lock(state_mutex());
  const std::string reason = cv::cuda::init();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("ok", reason.empty());
  o.Set("reason", reason);
  return o;
}

Napi::Value Info(const Napi::CallbackInfo& info) {
  std::lock_guard<std::recursive_mutex> lock(state_mutex());
  const DeviceInfo d = cv::cuda::device_info();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("abi", kAbi);
  o.Set("device", d.name);
  o.Set("computeCapability", std::to_string(d.major) + "." + std::to_string(d.minor));
  o.Set("multiprocessors", d.sms);
  o.Set("totalMemory", static_cast<double>(d.total_mem));
  o.Set("driverVersion", d.driver);
  o.Set("runtimeVersion", d.runtime);
  o.Set("broken", cv::cuda::broken_reason());
  return o;
}

Napi::Value MemoryStats_(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const MemoryStats s = cv::cuda::memory_stats();
    Napi::Object o = Napi::Object::New(env);
    o.Set("inUse", static_cast<double>(s.in_use));
    o.Set("cached", static_cast<double>(s.cached));
    o.Set("peak", static_cast<double>(s.peak));
    o.Set("deviceAllocs", static_cast<double>(s.device_allocs));
    o.Set("cacheHits", static_cast<double>(s.cache_hits));
    o.Set("liveBuffers", static_cast<double>(s.live_buffers));
    return o;
  });
}

Napi::Value EmptyCache(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value { cv::cuda::empty_cache(); return env.Undefined(); });
}

Napi::Value Synchronize(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value { cv::cuda::sync("synchronize"); return env.Undefined(); });
}

/** alloc(dtype, size) → handle. */
Napi::Value Alloc(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const DType dt = dtype_arg(info, 0);
    const int64_t size = nonneg(info, 1);
    return Napi::Number::New(env, cv::cuda::buffer_alloc(dt, size));
  });
}

/** free(handle): unknown handles are ignored (an explicit free and the finaliser may both come). */
Napi::Value Free(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const int64_t h = integer(info, 0);
    if (h > 0 && h <= 0xffffffffLL) cv::cuda::buffer_free(static_cast<uint32_t>(h));
    return env.Undefined();
  });
}

/** write(handle, typedArray of the buffer's dtype, offset). */
Napi::Value Write(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const Buffer& b = buf(info, 0);
    need(info.Length() > 1 && info[1].IsTypedArray(), "write: data must be a typed array");
    Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
    need(typed_dtype(ta) == b.dtype, "write: data dtype differs from the buffer's");
    const int64_t off = nonneg(info, 2);
    cv::cuda::write(static_cast<uint32_t>(integer(info, 0)), static_cast<char*>(ta.ArrayBuffer().Data()) + ta.ByteOffset(), off,
          static_cast<int64_t>(ta.ElementLength()));
    return env.Undefined();
  });
}

/** read(handle, typedArray): fills the array (its length ≤ the buffer's size); blocks. */
Napi::Value Read(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const Buffer& b = buf(info, 0);
    need(info.Length() > 1 && info[1].IsTypedArray(), "read: target must be a typed array");
    Napi::TypedArray ta = info[1].As<Napi::TypedArray>();
    need(typed_dtype(ta) == b.dtype, "read: target dtype differs from the buffer's");
    cv::cuda::read(static_cast<uint32_t>(integer(info, 0)), static_cast<char*>(ta.ArrayBuffer().Data()) + ta.ByteOffset(),
         static_cast<int64_t>(ta.ElementLength()));
    return env.Undefined();
  });
}

/**
 * The asynchronous read: the copy and an event were queued on the stream by readAsync(); this worker
 * waits for the event on libuv's thread pool, then (on the JavaScript thread) copies the pinned
 * staging memory into a fresh typed array and resolves the promise.
 */
class ReadWorker : public Napi::AsyncWorker {
 public:
  ReadWorker(Napi::Env env, PendingRead r, DType dt, int64_t n)
      : Napi::AsyncWorker(env), r_(r), dt_(dt), n_(n), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  void Execute() override {
    err_ = cv::cuda::wait_event(r_.done);
    if (err_ != cudaSuccess) SetError("readAsync failed");
  }
  void OnOK() override {
    std::lock_guard<std::recursive_mutex> lock(state_mutex());
    Napi::Env env = Env();
    Napi::Value out;
    const size_t bytes = static_cast<size_t>(n_) * dtype_size(dt_);
    switch (dt_) {
      case DType::F32: { auto a = Napi::Float32Array::New(env, n_); std::memcpy(a.Data(), r_.pinned, bytes); out = a; break; }
      case DType::F64: { auto a = Napi::Float64Array::New(env, n_); std::memcpy(a.Data(), r_.pinned, bytes); out = a; break; }
      default: { auto a = Napi::Int32Array::New(env, n_); std::memcpy(a.Data(), r_.pinned, bytes); out = a; break; }
    }
    cv::cuda::read_async_end(r_);
    deferred_.Resolve(out);
  }
  void OnError(const Napi::Error&) override {
    std::lock_guard<std::recursive_mutex> lock(state_mutex());
    Napi::Env env = Env();
    cv::cuda::read_async_end(r_);
    Kind kind = Kind::Broken;
    std::string msg = "readAsync failed";
    try {
      cv::cuda::check(err_, "readAsync (cudaEventSynchronize)");
    } catch (const Failure& f) {
      kind = f.kind;
      msg = f.what();
    }
    deferred_.Reject(js_error(env, kind, msg).Value());
  }

 private:
  PendingRead r_;
  DType dt_;
  int64_t n_;
  Napi::Promise::Deferred deferred_;
  cudaError_t err_ = cudaSuccess;
};

/** readAsync(handle, n) → Promise<TypedArray> of the first n elements. */
Napi::Value ReadAsync(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const Buffer& b = buf(info, 0);
    const int64_t n = nonneg(info, 1);
    need(n <= b.size, "readAsync: n exceeds the buffer");
    const PendingRead r = cv::cuda::read_async_begin(static_cast<uint32_t>(integer(info, 0)), n);
    auto* w = new ReadWorker(env, r, b.dtype, n);
    Napi::Promise p = w->promise();
    w->Queue();
    return p;
  });
}

/** fill(handle, value): every element. */
Napi::Value Fill(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const Buffer& b = buf(info, 0);
    cv::cuda::fill(b.dtype, b.ptr, b.size, num(info, 1));
    return env.Undefined();
  });
}

/** cast(src, dst, n). */
Napi::Value Cast(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const Buffer& s = buf(info, 0);
    const Buffer& d = buf(info, 1);
    const int64_t n = nonneg(info, 2);
    need(n <= s.size && n <= d.size, "cast: n exceeds a buffer");
    cv::cuda::cast(s.dtype, s.ptr, d.dtype, d.ptr, n);
    return env.Undefined();
  });
}

/** unary(op, x, out, n). */
Napi::Value Unary_(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const int64_t op = integer(info, 0);
    need(op >= 0 && op < static_cast<int64_t>(Unary::Count), "unknown unary op");
    const Buffer& x = buf(info, 1);
    const Buffer& o = buf(info, 2);
    const int64_t n = nonneg(info, 3);
    same({&x, &o});
    need(n <= x.size && n <= o.size, "unary: n exceeds a buffer");
    cv::cuda::unary(static_cast<Unary>(op), x.dtype, x.ptr, o.ptr, n);
    return env.Undefined();
  });
}

/** binary(op, dims[a, b], a, b, out): out contiguous over the shape. */
Napi::Value Binary_(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const int64_t op = integer(info, 0);
    need(op >= 0 && op < static_cast<int64_t>(Binary::Count), "unknown binary op");
    std::vector<int64_t> shape;
    std::vector<std::vector<int64_t>> st;
    dims(info, 1, 2, shape, st);
    const Buffer& a = buf(info, 2);
    const Buffer& b = buf(info, 3);
    const Buffer& o = buf(info, 4);
    same({&a, &b, &o});
    strided_inside(a, shape, st[0], 0, "binary");
    strided_inside(b, shape, st[1], 0, "binary");
    need(count(shape) <= o.size, "binary: output too small");
    st.push_back(contiguous(shape));
    cv::cuda::binary(static_cast<Binary>(op), a.dtype, make_strided(shape, st, {0, 0, 0}), a.ptr, b.ptr, o.ptr);
    return env.Undefined();
  });
}

/** where(dims[c, a, b], cond, a, b, out). */
Napi::Value Where(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    std::vector<int64_t> shape;
    std::vector<std::vector<int64_t>> st;
    dims(info, 0, 3, shape, st);
    const Buffer& c = buf(info, 1);
    const Buffer& a = buf(info, 2);
    const Buffer& b = buf(info, 3);
    const Buffer& o = buf(info, 4);
    same({&c, &a, &b, &o});
    strided_inside(c, shape, st[0], 0, "where");
    strided_inside(a, shape, st[1], 0, "where");
    strided_inside(b, shape, st[2], 0, "where");
    need(count(shape) <= o.size, "where: output too small");
    st.push_back(contiguous(shape));
    cv::cuda::where(a.dtype, make_strided(shape, st, {0, 0, 0, 0}), c.ptr, a.ptr, b.ptr, o.ptr);
    return env.Undefined();
  });
}

/** copy(dims[src, dst], src, srcOff, dst, dstOff). */
Napi::Value Copy(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    std::vector<int64_t> shape;
    std::vector<std::vector<int64_t>> st;
    dims(info, 0, 2, shape, st);
    const Buffer& s = buf(info, 1);
    const int64_t so = integer(info, 2);
    const Buffer& d = buf(info, 3);
    const int64_t dof = integer(info, 4);
    same({&s, &d});
    strided_inside(s, shape, st[0], so, "copy");
    strided_inside(d, shape, st[1], dof, "copy");
    cv::cuda::copy(s.dtype, make_strided(shape, st, {so, dof}), s.ptr, d.ptr);
    return env.Undefined();
  });
}

/** reduce(op, x, outer, r, inner, out). */
Napi::Value Reduce_(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const int64_t op = integer(info, 0);
    need(op >= 0 && op < static_cast<int64_t>(Reduce::Count), "unknown reduce op");
    const Buffer& x = buf(info, 1);
    const int64_t outer = nonneg(info, 2), r = nonneg(info, 3), inner = nonneg(info, 4);
    const Buffer& o = buf(info, 5);
    same({&x, &o});
    need(outer * r * inner <= x.size && outer * inner <= o.size, "reduce: sizes exceed a buffer");
    cv::cuda::reduce(static_cast<Reduce>(op), x.dtype, x.ptr, outer, r, inner, o.ptr);
    return env.Undefined();
  });
}

/**
 * gemmStridedBatched(flags, m, n, k, alpha, a, aOff, lda, strideA, b, bOff, ldb, strideB, beta, c,
 * cOff, ldc, strideC, batch); flags bit 0 = transA, bit 1 = transB.
 */
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const int64_t flags = integer(info, 0), m = nonneg(info, 1), n = nonneg(info, 2), k = nonneg(info, 3);
    const double alpha = num(info, 4);
    const Buffer& a = buf(info, 5);
    const int64_t aOff = nonneg(info, 6), lda = nonneg(info, 7), sa = nonneg(info, 8);
    const Buffer& b = buf(info, 9);
    const int64_t bOff = nonneg(info, 10), ldb = nonneg(info, 11), sb = nonneg(info, 12);
    const double beta = num(info, 13);
    const Buffer& c = buf(info, 14);
    const int64_t cOff = nonneg(info, 15), ldc = nonneg(info, 16), sc = nonneg(info, 17), batch = nonneg(info, 18);
    same({&a, &b, &c});
    need(c.dtype != DType::I32, "gemm needs float32 or float64");
    if (m == 0 || n == 0 || batch == 0) return env.Undefined();
    const bool ta = flags & 1, tb = flags & 2;
    const int64_t last = batch - 1;
    span(a, aOff + last * sa, ta ? k : m, ta ? m : k, lda, "gemm A");
    span(b, bOff + last * sb, tb ? n : k, tb ? k : n, ldb, "gemm B");
    span(c, cOff + last * sc, m, n, ldc, "gemm C");
    cv::cuda::gemm(c.dtype, ta, tb, m, n, k, alpha, at(a, aOff), lda, sa, at(b, bOff), ldb, sb, beta, at(c, cOff), ldc, sc, batch);
    return env.Undefined();
  });
}

/** gather(src, idx, nIdx, rowSize, out) / scatterAdd(src, idx, nIdx, rowSize, out). */
template <bool kScatter>
Napi::Value Indexed(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const Buffer& src = buf(info, 0);
    const Buffer& idx = buf(info, 1);
    const int64_t n_idx = nonneg(info, 2), row = nonneg(info, 3);
    const Buffer& out = buf(info, 4);
    need(idx.dtype == DType::I32, "indices must be int32");
    same({&src, &out});
    need(n_idx <= idx.size && n_idx * row <= (kScatter ? src.size : out.size), "gather/scatterAdd: sizes exceed a buffer");
    if (n_idx == 0 || row == 0) return env.Undefined();
    const int64_t rows = (kScatter ? out.size : src.size) / row;
    const int64_t bad = kScatter
      ? cv::cuda::scatter_add(src.dtype, src.ptr, static_cast<const int32_t*>(idx.ptr), n_idx, row, out.ptr, rows)
      : cv::cuda::gather(src.dtype, src.ptr, rows, static_cast<const int32_t*>(idx.ptr), n_idx, row, out.ptr);
    if (bad >= 0) {  // the message of src/backend/checks.ts checkIndexValues
      const int32_t v = cv::cuda::read_int32(static_cast<const int32_t*>(idx.ptr) + bad);
      throw Failure(Kind::Input, std::string(kScatter ? "scatterAdd" : "gather") + ": index " + std::to_string(v) +
        " at position " + std::to_string(bad) + " is outside [0, " + std::to_string(rows) + ")");
    }
    return env.Undefined();
  });
}

/** softmax(x, rows, cols, out, log). */
Napi::Value Softmax(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const Buffer& x = buf(info, 0);
    const int64_t rows = nonneg(info, 1), cols = nonneg(info, 2);
    const Buffer& o = buf(info, 3);
    same({&x, &o});
    need(rows * cols <= x.size && rows * cols <= o.size, "softmax: sizes exceed a buffer");
    cv::cuda::softmax(x.dtype, x.ptr, rows, cols, o.ptr, flag(info, 4));
    return env.Undefined();
  });
}

/** crossEntropy(z, labels, rows, cols, out). */
Napi::Value CrossEntropy(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const Buffer& z = buf(info, 0);
    const Buffer& lab = buf(info, 1);
    const int64_t rows = nonneg(info, 2), cols = nonneg(info, 3);
    const Buffer& o = buf(info, 4);
    same({&z, &o});
    need(lab.dtype == DType::I32, "labels must be int32");
    need(rows * cols <= z.size && rows <= o.size && rows <= lab.size, "crossEntropy: sizes exceed a buffer");
    const int64_t bad = cv::cuda::cross_entropy(z.dtype, z.ptr, static_cast<const int32_t*>(lab.ptr), rows, cols, o.ptr);
    if (bad >= 0) {  // the message of src/backend/checks.ts checkLabels
      const int32_t v = cv::cuda::read_int32(static_cast<const int32_t*>(lab.ptr) + bad);
      throw Failure(Kind::Input, "crossEntropy: label " + std::to_string(v) + " at row " + std::to_string(bad) +
        " is outside [0, " + std::to_string(cols) + ")");
    }
    return env.Undefined();
  });
}

/** tanhGrad(y, g, out, n). */
Napi::Value TanhGrad(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const Buffer& y = buf(info, 0);
    const Buffer& g = buf(info, 1);
    const Buffer& o = buf(info, 2);
    const int64_t n = nonneg(info, 3);
    same({&y, &g, &o});
    need(n <= y.size && n <= g.size && n <= o.size, "tanhGrad: n exceeds a buffer");
    cv::cuda::tanh_grad(y.dtype, y.ptr, g.ptr, o.ptr, n);
    return env.Undefined();
  });
}

/** potrf(n, a, aOff, lda) → { ok: true } | { ok: false, pivot, value }. */
Napi::Value Potrf(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const int64_t n = nonneg(info, 0);
    const Buffer& a = buf(info, 1);
    const int64_t aOff = nonneg(info, 2), lda = nonneg(info, 3);
    need(a.dtype != DType::I32, "potrf needs float32 or float64");
    need(lda >= (n > 1 ? n : 1), "potrf: lda < n");
    span(a, aOff, n, n, lda, "potrf A");
    double value = 0;
    const int64_t pivot = cv::cuda::potrf(a.dtype, at(a, aOff), n, lda, &value);
    Napi::Object o = Napi::Object::New(env);
    o.Set("ok", pivot < 0);
    if (pivot >= 0) {
      o.Set("pivot", static_cast<double>(pivot));
      o.Set("value", value);
    }
    return o;
  });
}

/** trsm(upper, trans, unitDiag, m, n, alpha, a, aOff, lda, b, bOff, ldb): left side, in place of B. */
Napi::Value Trsm(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const bool upper = flag(info, 0), trans = flag(info, 1), unit = flag(info, 2);
    const int64_t m = nonneg(info, 3), n = nonneg(info, 4);
    const double alpha = num(info, 5);
    const Buffer& a = buf(info, 6);
    const int64_t aOff = nonneg(info, 7), lda = nonneg(info, 8);
    const Buffer& b = buf(info, 9);
    const int64_t bOff = nonneg(info, 10), ldb = nonneg(info, 11);
    same({&a, &b});
    need(a.dtype != DType::I32, "trsm needs float32 or float64");
    span(a, aOff, m, m, lda, "trsm A");
    span(b, bOff, m, n, ldb, "trsm B");
    cv::cuda::trsm(a.dtype, upper, trans, unit, m, n, alpha, at(a, aOff), lda, at(b, bOff), ldb);
    return env.Undefined();
  });
}

/** JavaScript's String(number) for the values an error message can name (NaN, ±Infinity, finite). */
std::string js_number(double v) {
  if (v != v) return "NaN";
  if (v == INFINITY) return "Infinity";
  if (v == -INFINITY) return "-Infinity";
  char b[32];
  std::snprintf(b, sizeof b, "%.17g", v);
  return b;
}

/** syev(n, a, aOff, lda, w, wOff, computeVectors): ascending eigenvalues; eigenvectors over A. */
Napi::Value Syev(const Napi::CallbackInfo& info) {
  return guard(info, [&](Napi::Env env) -> Napi::Value {
    const int64_t n = nonneg(info, 0);
    const Buffer& a = buf(info, 1);
    const int64_t aOff = nonneg(info, 2), lda = nonneg(info, 3);
    const Buffer& w = buf(info, 4);
    const int64_t wOff = nonneg(info, 5);
    same({&a, &w});
    need(a.dtype != DType::I32, "syev needs float32 or float64");
    need(lda >= (n > 1 ? n : 1), "syev: lda < n");
    span(a, aOff, n, n, lda, "syev A");
    span(w, wOff, 1, n, n, "syev w");
    const int64_t bad = cv::cuda::syev(a.dtype, n, at(a, aOff), lda, at(w, wOff), flag(info, 6));
    if (bad >= 0) {  // the message of src/backend/js/linalg/syev.ts
      const int64_t i = bad / n, j = bad % n;
      double v = 0;
      if (a.dtype == DType::F32) {
        float f = 0;
        cv::cuda::check(cudaMemcpyAsync(&f, at<float>(a, aOff + i * lda + j), sizeof f, cudaMemcpyDeviceToHost, cv::cuda::stream()), "cudaMemcpyAsync");
        cv::cuda::sync("syev");
        v = f;
      } else {
        cv::cuda::check(cudaMemcpyAsync(&v, at<double>(a, aOff + i * lda + j), sizeof v, cudaMemcpyDeviceToHost, cv::cuda::stream()), "cudaMemcpyAsync");
        cv::cuda::sync("syev");
      }
      throw Failure(Kind::Input, "syev: entry (" + std::to_string(i) + ", " + std::to_string(j) + ") of the matrix is " +
        js_number(v) + "; expected a finite number");
    }
    return env.Undefined();
  });
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("init", Napi::Function::New(env, Init_));
  exports.Set("info", Napi::Function::New(env, Info));
  exports.Set("memoryStats", Napi::Function::New(env, MemoryStats_));
  exports.Set("emptyCache", Napi::Function::New(env, EmptyCache));
  exports.Set("synchronize", Napi::Function::New(env, Synchronize));
  exports.Set("alloc", Napi::Function::New(env, Alloc));
  exports.Set("free", Napi::Function::New(env, Free));
  exports.Set("write", Napi::Function::New(env, Write));
  exports.Set("read", Napi::Function::New(env, Read));
  exports.Set("readAsync", Napi::Function::New(env, ReadAsync));
  exports.Set("fill", Napi::Function::New(env, Fill));
  exports.Set("cast", Napi::Function::New(env, Cast));
  exports.Set("unary", Napi::Function::New(env, Unary_));
  exports.Set("binary", Napi::Function::New(env, Binary_));
  exports.Set("where", Napi::Function::New(env, Where));
  exports.Set("copy", Napi::Function::New(env, Copy));
  exports.Set("reduce", Napi::Function::New(env, Reduce_));
  exports.Set("gemmStridedBatched", Napi::Function::New(env, Gemm));
  exports.Set("gather", Napi::Function::New(env, Indexed<false>));
  exports.Set("scatterAdd", Napi::Function::New(env, Indexed<true>));
  exports.Set("softmax", Napi::Function::New(env, Softmax));
  exports.Set("crossEntropy", Napi::Function::New(env, CrossEntropy));
  exports.Set("tanhGrad", Napi::Function::New(env, TanhGrad));
  exports.Set("potrf", Napi::Function::New(env, Potrf));
  exports.Set("trsm", Napi::Function::New(env, Trsm));
  exports.Set("syev", Napi::Function::New(env, Syev));
  return exports;
}

}  // namespace

NODE_API_MODULE(curvature_cuda, Init)
