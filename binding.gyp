# The CPU addon for node-gyp users (`npx node-gyp rebuild`); the same sources as the cmake-js build
# (CMakeLists.txt), listed once in native/sources.gypi. npm never runs this on install: package.json
# sets "gypfile": false, and the prebuilt binary in prebuilds/ is loaded instead.
{
  'includes': ['native/sources.gypi'],
  'targets': [
    {
      'target_name': 'curvature_native_avx2',
      'type': 'static_library',
      'sources': ['<@(avx2_sources)'],
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
      'defines': ['NAPI_VERSION=8', 'NAPI_DISABLE_CPP_EXCEPTIONS'],
      'cflags_cc': ['-std=c++17', '-O3', '-fPIC'],
      'conditions': [
        ['target_arch=="x64"', { 'cflags_cc': ['-mavx2', '-mfma'], 'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['-mavx2', '-mfma'] } }],
      ],
    },
    {
      'target_name': 'curvature_native_avx512',
      'type': 'static_library',
      'sources': ['<@(avx512_sources)'],
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
      'defines': ['NAPI_VERSION=8', 'NAPI_DISABLE_CPP_EXCEPTIONS'],
      'cflags_cc': ['-std=c++17', '-O3', '-fPIC'],
      'conditions': [
        ['target_arch=="x64"', { 'cflags_cc': ['-mavx512f', '-mavx2', '-mfma'], 'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['-mavx512f', '-mavx2', '-mfma'] } }],
      ],
    },
    {
      'target_name': 'curvature_native',
      'sources': ['<@(portable_sources)'],
      'dependencies': ['curvature_native_avx2', 'curvature_native_avx512'],
      'include_dirs': ["<!(node -p \"require('node-addon-api').include_dir\")"],
      'defines': ['NAPI_VERSION=8', 'NAPI_DISABLE_CPP_EXCEPTIONS'],
      'cflags_cc': ['-std=c++17', '-O3', '-ffp-contract=off'],
      'cflags_cc!': ['-fno-exceptions'],
    },
  ],
}
