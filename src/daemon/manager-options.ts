import type { DaemonConfig } from '../config/daemon-config.js';
import type { ContainerLogManagerOptions } from '../manager/types.js';

/** The manager settings of a daemon config, shared by `crilog daemon` and the one-shot commands. */
export function managerOptions(config: DaemonConfig): Omit<ContainerLogManagerOptions, 'runtime' | 'logger'> {
  const { codec, level } = config.compression;
  return {
    maxSize: config.maxSize,
    maxFiles: config.maxFiles,
    workers: config.workers,
    compressionNice: config.compressionNice,
    monitorInterval: config.monitorIntervalMs,
    compression: codec === 'none' ? 'none' : `${codec}:${level}`,
    delayCompress: config.delayCompress,
    policyAnnotations: config.policyAnnotations,
    ...(config.maxAgeMs !== null ? { maxAge: config.maxAgeMs } : {}),
    ...(config.maxTotalSize !== null ? { maxTotalSize: config.maxTotalSize } : {}),
  };
}
