// npm runs this instead of `node-gyp rebuild` (which it would run for a top-level binding.gyp).
// The CUDA addon is optional; the core library and the reference backend need no native build.
console.log('curvature: native CUDA addon is optional and not built on install (see README, "Building the CUDA addon").');
