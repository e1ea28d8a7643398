/*
 * cv_trsm_{f32,f64}: solves op(A)·X = alpha·B in place (left side; A m×m triangular, only its
 * `upper`/lower triangle read, its diagonal not read when unitDiag; alpha = 0 zeroes B without
 * reading A). Blocked substitution around the GEMM kernel; see trsm_impl.h. float32 is solved in
 * float32 arithmetic (the reference accumulates in double: results agree to float32 rounding
 * times the conditioning of A).
 */
#include "cv_internal.h"

#define T float
#define SUF f32
#define VL 4
#define VSPLAT wasm_f32x4_splat
#define VSUB wasm_f32x4_sub
#define VMUL wasm_f32x4_mul
#define VDIV wasm_f32x4_div
#include "trsm_impl.h"
#undef T
#undef SUF
#undef VL
#undef VSPLAT
#undef VSUB
#undef VMUL
#undef VDIV

#define T double
#define SUF f64
#define VL 2
#define VSPLAT wasm_f64x2_splat
#define VSUB wasm_f64x2_sub
#define VMUL wasm_f64x2_mul
#define VDIV wasm_f64x2_div
#include "trsm_impl.h"
