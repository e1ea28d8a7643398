# The one list of the CPU addon's sources, read by binding.gyp (node-gyp: 'includes') and by
# CMakeLists.txt (cmake-js: parsed with a regex). Paths are relative to the repository root.
# gemm_avx2.cc is compiled with -mavx2 -mfma (and only it): see avx2_sources.
{
  'variables': {
    'portable_sources': [
      'native/src/addon.cc',
      'native/src/cpu.cc',
      'native/src/elementwise.cc',
      'native/src/gemm.cc',
      'native/src/rows.cc',
    ],
    'avx2_sources': [
      'native/src/gemm_avx2.cc',
    ],
  },
}
