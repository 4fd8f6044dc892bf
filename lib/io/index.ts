// lib/io's browser-safe API in one place (Node file access is in ./nodeFile, imported separately).
export { FormatError, type FormatErrorCode } from './errors';
export { blobSource, bytesSource, readExact, toByteSource, type ByteSource } from './byteSource';
export {
  concatChunks,
  MAX_HEADER_BYTES,
  parseSafetensorsHeader,
  planSafetensors,
  readSafetensors,
  readSafetensorsFrom,
  readSafetensorsHeader,
  readTensor,
  safetensorsChunks,
  writeSafetensors,
  type NamedTensor,
  type ReadOptions,
  type SafetensorsFile,
  type SafetensorsHeader,
  type TensorInfo,
} from './safetensors';
export { openTorchBin, readTorchBin, type TensorSink, type TorchFile, type TorchReadOptions, type TorchStream } from './torchBin';
export { mergeReferenceConfigs, modelConfigFromReference, readModelConfig, readReferenceConfig } from './configReader';
export { mergePipelineLayers, normaliseKey, normaliseKeys, pipelineLayerFile, pipelineLayerIndex, toPipelineLayers } from './keys';
export { checkFinite, expectedShapes, inferGrowth, validateTensors, type Layout } from './validate';
export {
  collectCheckpoint,
  decodeCheckpoint,
  decodeCheckpointFrom,
  encodeCheckpoint,
  encodeCheckpointChunks,
  isOptimizerTensor,
  OPTIMIZER_PREFIX,
  openCheckpointFrom,
  stripForReference,
  type CheckpointInput,
  type CheckpointStream,
  type DecodedCheckpoint,
  type DecodeOptions,
  type OptimizerState,
} from './checkpoint';
export { CHECKPOINT_FORMAT } from './checkpointMetadata';
export { loadAnyCheckpoint, openAnyCheckpoint, sniffCheckpoint, type CheckpointKind, type LoadOptions } from './loadAny';
