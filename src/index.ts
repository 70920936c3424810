export { ContainerLogManager } from './manager/container-log-manager.js';
export { normalizeOptions, type NormalizedOptions } from './manager/options.js';
export { cleanLogPath } from './manager/clean.js';
export type * from './manager/types.js';
export { parseQuantity } from './units/quantity.js';
export { parseDuration } from './units/duration.js';
export { getAllLogs, listLogFiles, type LogFileSet, type RotatedFile } from './rotation/log-files.js';
export { compressFile, type CompressOptions, type CompressResult } from './rotation/compress.js';
export { parseRotatedName, compareKeys, type CodecName, type RotationKey } from './rotation/naming.js';
export type {
  RuntimeService,
  ContainerInfo,
  ContainerStatus,
  ContainerState,
  ContainerMetadata,
} from './ports/runtime-service.js';
export { containerIdentity, KUBELET_LABELS, type ContainerIdentity } from './ports/container-identity.js';
export { systemClock, type Clock, type TimerHandle } from './ports/clock.js';
export { nodeFileSystem, type FileSystem } from './ports/file-system.js';
export { silentLogger, type Logger } from './ports/logger.js';
export * from './errors/crilog-error.js';
export * from './reader/index.js';
export { getCodec, isCodecAvailable, type Codec } from './codecs/codec.js';
export { CompressionPool, type CompressionPoolOptions } from './codecs/worker/compression-pool.js';
export {
  resolvePolicy,
  parseCompression,
  POLICY_KEYS,
  type RotationPolicy,
  type CompressionPolicy,
} from './policy/container-policy.js';
