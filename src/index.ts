// The public API of `crilog`; docs/library.md lists every export and why it is public.
export { ContainerLogManager } from './manager/container-log-manager.js';
export type { NormalizedOptions } from './manager/options.js';
export type * from './manager/types.js';
export type {
  PassHooks,
  ChangeTracker,
  ChangeSnapshot,
  ContainerDiscovery,
} from './manager/pass-scheduler.js';
export { parseQuantity } from './units/quantity.js';
export { parseDuration } from './units/duration.js';
export { getAllLogs } from './rotation/log-files.js';
export { compressFile, type CompressOptions, type CompressResult } from './rotation/compress.js';
export type { CodecName } from './codecs/codec-names.js';
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
export {
  CrilogError,
  InvalidOptionError,
  ContainerNotFoundError,
  ContainerNotRunningError,
  RuntimeUnavailableError,
  RuntimeError,
  hasErrorCode,
  type BadInput,
  type CrilogErrorCode,
} from './errors/crilog-error.js';
export * from './reader/index.js';
export { isCodecAvailable } from './codecs/codec.js';
export { CompressionPool, type CompressionPoolOptions } from './codecs/worker/compression-pool.js';
export {
  POLICY_KEYS,
  type RotationPolicy,
  type CompressionPolicy,
  type PolicyBounds,
  type PolicyClamp,
} from './policy/container-policy.js';
