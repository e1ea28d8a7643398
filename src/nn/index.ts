export type { Layer, LayerActivity, LayerSpec, ParamSpec, KroneckerView } from './module.js';
export type { Model, TrackedLayer, ForwardHooks, LayerCapture, Captures } from './model.js';
export { captureModel, layerParams, layerPerExampleGradients, layerScores, perExampleGradientsFromCaptures, scoresFromCaptures } from './capture.js';
export { Flatten } from './flatten.js';
export { Linear } from './linear.js';
export { Conv2d, type Conv2dOptions } from './conv2d.js';
export { MaxPool2d, AvgPool2d, type Pool2dOptions } from './pooling.js';
export { LayerNorm, Dropout } from './normalization.js';
export { BatchNorm, type BatchNormOptions } from './batchnorm.js';
export { Embedding } from './embedding.js';
export { Reshape } from './reshape.js';
export { SoftmaxLayer } from './softmax-layer.js';
export { layerFromSpec, layerSpec, LAYER_KINDS } from './layer-spec.js';
export { GraphModel, type GraphSpec, type GraphNodeSpec, type MergeOp } from './graph.js';
export { modelFromSpec, modelSpec, type ModelSpec } from './model-spec.js';
export { loadOnnx, importOnnx, ONNX_OPERATORS, type ImportedModel } from './onnx/index.js';
export { unfold2d, convOutputSize, type ConvGeometry } from './unfold.js';
export { Tanh, Sigmoid, ReLU, GELU, Softplus, SiLU, activation, gelu, silu, type ActivationName } from './activations.js';
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
