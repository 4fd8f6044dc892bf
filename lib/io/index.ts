// lib/io's browser-safe API in one place (Node file access is in ./node-file, imported separately).
export { FormatError, type FormatErrorCode } from './errors';
export { blobSource, bytesSource, readExact, toByteSource, type ByteSource } from './byte-source';
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
export { readTorchBin, type TorchFile, type TorchReadOptions } from './torch-bin';
export { mergeReferenceConfigs, modelConfigFromReference, readModelConfig, readReferenceConfig } from './config-reader';
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
export { CHECKPOINT_FORMAT } from './checkpoint-metadata';
export { loadAnyCheckpoint, sniffCheckpoint, type CheckpointKind, type LoadOptions } from './load-any';
