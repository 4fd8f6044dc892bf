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
export { readTorchBin, type TorchFile, type TorchReadOptions } from './torchBin';
export { mergeReferenceConfigs, modelConfigFromReference, readModelConfig, readReferenceConfig } from './configReader';
export { mergePipelineLayers, normaliseKey, normaliseKeys, pipelineLayerFile, pipelineLayerIndex, toPipelineLayers } from './keys';
export { checkFinite, expectedShapes, inferGrowth, validateTensors, type Layout } from './validate';
export {
  decodeCheckpoint,
  decodeCheckpointFrom,
  encodeCheckpoint,
  encodeCheckpointChunks,
  isOptimizerTensor,
  OPTIMIZER_PREFIX,
  stripForReference,
  type CheckpointInput,
  type DecodedCheckpoint,
  type DecodeOptions,
  type OptimizerState,
} from './checkpoint';
export { CHECKPOINT_FORMAT } from './checkpointMetadata';
export { loadAnyCheckpoint, sniffCheckpoint, type CheckpointKind, type LoadOptions } from './loadAny';
