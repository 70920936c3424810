import { InvalidOptionError, showValue } from '../errors/crilog-error.js';
import type { PolicyBounds, RotationPolicy } from '../policy/container-policy.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { nodeFileSystem, type FileSystem } from '../ports/file-system.js';
import type { RuntimeService } from '../ports/runtime-service.js';
import { nodeDiskStats, type DiskStatsPort } from '../ports/disk-stats.js';
import type { GzipEngineChoice } from '../codecs/codec-names.js';
import type { FreeThreshold } from '../units/free-threshold.js';
import { LIBRARY_KEYS, resolveLibrarySettings } from '../settings/index.js';
import type { ContainerLogManagerOptions } from './types.js';

/** Options after validation, with defaults applied and units resolved. */
export interface NormalizedOptions {
  runtime: RuntimeService;
  /** Bytes; negative means rotation is off. */
  maxSize: number;
  maxFiles: number;
  workers: number;
  /** Nice value of the compression threads. */
  compressionNice: number;
  /** Deflate engine of gzip; `null`: `CRILOG_GZIP_ENGINE`, else `auto`. */
  gzipEngine: GzipEngineChoice | null;
  monitorIntervalMs: number;
  /** Least time between two rotation attempts of one container; 0: no limit. */
  minRotationIntervalMs: number;
  /** The node-wide policy; `maxSize` and `maxFiles` above are its fields too. */
  policy: RotationPolicy;
  /** Byte budget for all managed logs together; `null` means none. */
  maxTotalSize: number | null;
  /** Whether `crilog.io/*` annotations and labels may override the node policy per container. */
  policyAnnotations: boolean;
  /** What those annotations may choose. */
  bounds: PolicyBounds;
  /** Rotated files younger than this are left alone by count, age and budget rules; 0: no grace. */
  minRotatedAgeMs: number;
  /** Floors of free space and inodes; `{ amount: 0 }` turns a check off. */
  minFree: FreeThreshold;
  minFreeInodes: FreeThreshold;
  /** Directories whose filesystems are watched; `null`: those of the managed logs. */
  diskPaths: string[] | null;
  diskStats: DiskStatsPort;
  fs: FileSystem;
  clock: Clock;
}

/** The ports of the manager; everything else is a setting of the table. */
const PORTS = ['runtime', 'fs', 'clock', 'diskStats', 'diskPaths'] as const;
const KNOWN: readonly string[] = [PORTS[0], ...LIBRARY_KEYS, ...PORTS.slice(1)];

/**
 * Validates manager options in one place. Every rejection names the option, the value and the fix,
 * so a typo in a config never turns into silently different behaviour.
 */
export function normalizeOptions(options: ContainerLogManagerOptions): NormalizedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError({
      key: 'options',
      value: options,
      rule: 'ContainerLogManager options must be an object',
    });
  }
  for (const key of Object.keys(options)) {
    if (!KNOWN.includes(key)) {
      throw new InvalidOptionError({
        key,
        rule: 'unknown option for ContainerLogManager',
        hint:
          key === 'logger'
            ? "the manager logs nothing itself: log its events, e.g. manager.on('container-error', …)"
            : `known options: ${KNOWN.join(', ')}`,
      });
    }
  }
  const { runtime } = options;
  if (
    !runtime ||
    !['listContainers', 'containerStatus', 'reopenContainerLog'].every(
      (m) => typeof (runtime as unknown as Record<string, unknown>)[m] === 'function',
    )
  ) {
    throw new InvalidOptionError({
      key: 'runtime',
      value: runtime === undefined ? 'nothing' : showValue(Object.keys(runtime ?? {})),
      rule: 'must implement RuntimeService (listContainers, containerStatus, reopenContainerLog)',
    });
  }
  const settings = resolveLibrarySettings(options as unknown as Record<string, unknown>);
  return {
    runtime,
    maxSize: settings.maxSize,
    maxFiles: settings.maxFiles,
    workers: settings.workers,
    compressionNice: settings.compressionNice,
    gzipEngine: settings.gzipEngine,
    monitorIntervalMs: settings.monitorInterval,
    minRotationIntervalMs: settings.minRotationInterval,
    policy: {
      maxSize: settings.maxSize,
      maxFiles: settings.maxFiles,
      maxAgeMs: settings.maxAge,
      compression: settings.compression,
      delayCompress: settings.delayCompress,
      maxIntervalMs: settings.maxInterval,
    },
    maxTotalSize: settings.maxTotalSize,
    policyAnnotations: settings.policyAnnotations,
    bounds: {
      maxSize: settings.policyMaxSize,
      minSize: settings.policyMinSize,
      maxFiles: settings.policyMaxFiles,
      minAgeMs: settings.policyMinAge,
      compression: settings.policyCompression,
      allowDisable: settings.policyAllowDisable,
    },
    minRotatedAgeMs: settings.minRotatedAge ?? 0,
    minFree: settings.minFree,
    minFreeInodes: settings.minFreeInodes,
    diskPaths: diskPaths(options.diskPaths),
    diskStats: options.diskStats ?? nodeDiskStats,
    fs: options.fs ?? nodeFileSystem,
    clock: options.clock ?? systemClock,
  };
}

function diskPaths(value: unknown): string[] | null {
  if (value === undefined) return null;
  if (!Array.isArray(value) || value.some((p) => typeof p !== 'string' || p === ''))
    throw new InvalidOptionError({
      key: 'diskPaths',
      value,
      rule: 'must be a list of directories',
      hint: 'e.g. ["/var/log/pods"]',
    });
  return [...(value as string[])];
}
