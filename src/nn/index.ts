export type { Layer, LayerActivity, LayerSpec, ParamSpec, KroneckerView } from './module.js';
export type { Model, TrackedLayer, ForwardHooks, LayerCapture, Captures } from './model.js';
export { QueryCache, type QueryMemo } from './query-cache.js';
export { captureModel, layerParams, layerPerExampleGradients, layerScores, perExampleGradientsFromCaptures, scoresFromCaptures } from './capture.js';
export { Flatten } from './layers/flatten.js';
export { Linear } from './layers/linear.js';
export { Conv2d, type Conv2dOptions } from './layers/conv2d.js';
export { MaxPool2d, AvgPool2d, type Pool2dOptions } from './layers/pooling.js';
export { LayerNorm, Dropout } from './layers/normalization.js';
export { BatchNorm, type BatchNormOptions } from './layers/batchnorm.js';
export { Embedding } from './layers/embedding.js';
export { Reshape } from './layers/reshape.js';
export { SoftmaxLayer } from './layers/softmax-layer.js';
export { layerFromSpec, layerSpec, LAYER_KINDS } from './layers/layer-spec.js';
export { GraphModel, type GraphSpec, type GraphNodeSpec, type MergeOp } from './graph.js';
export { modelFromSpec, modelSpec, type ModelSpec } from './model-spec.js';
export { loadOnnx, importOnnx, ONNX_OPERATORS, type ImportedModel } from './onnx/index.js';
export { unfold2d, convOutputSize, type ConvGeometry } from './layers/unfold.js';
export { Tanh, Sigmoid, ReLU, GELU, Softplus, SiLU, activation, gelu, silu, type ActivationName } from './layers/activations.js';
export { Sequential, type FlatParam, type ForwardOptions } from './sequential.js';
export {
  crossEntropy, bceWithLogits, mse, crossEntropyLoss, bceWithLogitsLoss, mseLoss, lossByName,
  type Loss, type LossName, type Reduction,
} from './losses.js';
export { Objective, batchOf, subset, type Dataset } from './objective.js';
export { stateDict, loadStateDict, saveSafetensors, loadSafetensors } from './state-dict.js';
export { lbfgs, type LbfgsOptions, type LbfgsResult } from './optim/lbfgs.js';
export { SGD, Adam, type Optimizer } from './optim/first-order.js';
export { fitLbfgs, fitMinibatch } from './train.js';
export {
  CheckedChunks, arrayChunkSource, datasetChunks, isChunkSource, passChunks, type ChunkSource, type TrainingData,
} from './chunk-source.js';
export { npyChunkSource, type NpyChunkOptions } from './npy-chunk-source.js';
