# The one list of the CPU addon's sources, read by binding.gyp (node-gyp: 'includes') and by
# CMakeLists.txt (cmake-js: parsed with a regex). Paths are relative to the repository root.
# avx2_sources alone are compiled with -mavx2 -mfma, avx512_sources alone with -mavx512f: their
# code runs only after a cpuid check (native/src/cpu.cc).
{
  'variables': {
    'portable_sources': [
      'native/src/addon.cc',
      'native/src/cpu.cc',
      'native/src/elementwise.cc',
      'native/src/gemm.cc',
      'native/src/im2col.cc',
      'native/src/linalg.cc',
      'native/src/pool.cc',
      'native/src/rows.cc',
      'native/src/scratch.cc',
      'native/src/syev.cc',
      'native/src/stedc.cc',
    ],
    'avx2_sources': [
      'native/src/gemm_avx2.cc',
      'native/src/unary_avx2.cc',
    ],
    'avx512_sources': [
      'native/src/gemm_avx512.cc',
      'native/src/unary_avx512.cc',
    ],
  },
}
