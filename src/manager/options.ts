import { parseDuration } from '../config/duration.js';
import { parseQuantity } from '../config/quantity.js';
import { InvalidOptionError } from '../errors/crilog-error.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { nodeFileSystem, type FileSystem } from '../ports/file-system.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import type { RuntimeService } from '../ports/runtime-service.js';
import { parseCompression, type CompressionPolicy, type RotationPolicy } from '../policy/container-policy.js';
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
  monitorIntervalMs: number;
  /** The node-wide policy; `maxSize` and `maxFiles` above are its fields too. */
  policy: RotationPolicy;
  /** Byte budget for all managed logs together; `null` means none. */
  maxTotalSize: number | null;
  /** Whether `crilog.io/*` annotations and labels may override the node policy per container. */
  policyAnnotations: boolean;
  fs: FileSystem;
  clock: Clock;
  logger: Logger;
}

const KNOWN = [
  'runtime',
  'maxSize',
  'maxFiles',
  'workers',
  'monitorInterval',
  'maxAge',
  'compression',
  'compressionLevel',
  'compressionNice',
  'delayCompress',
  'maxTotalSize',
  'policyAnnotations',
  'fs',
  'clock',
  'logger',
] as const;

/**
 * Validates manager options in one place. Every rejection names the option, the value and the fix,
 * so a typo in a config never turns into silently different behaviour.
 */
export function normalizeOptions(options: ContainerLogManagerOptions): NormalizedOptions {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidOptionError(`ContainerLogManager options must be an object, got ${show(options)}`);
  }
  for (const key of Object.keys(options)) {
    if (!(KNOWN as readonly string[]).includes(key)) {
      throw new InvalidOptionError(
        `unknown option "${key}" for ContainerLogManager; known options: ${KNOWN.join(', ')}`,
      );
    }
  }
  const { runtime } = options;
  if (
    !runtime ||
    !['listContainers', 'containerStatus', 'reopenContainerLog'].every(
      (m) => typeof (runtime as unknown as Record<string, unknown>)[m] === 'function',
    )
  ) {
    throw new InvalidOptionError(
      'option "runtime" must implement RuntimeService (listContainers, containerStatus, reopenContainerLog)',
    );
  }
  const maxSize = normalizeMaxSize(options.maxSize ?? '10Mi');
  const maxFiles = integer(
    'maxFiles',
    options.maxFiles ?? 5,
    2,
    'must be an integer greater than 1 (the live log plus at least one rotated file)',
  );
  if (options.delayCompress !== undefined && typeof options.delayCompress !== 'boolean') {
    throw new InvalidOptionError(
      `invalid delayCompress ${show(options.delayCompress)}: must be true or false`,
    );
  }
  if (options.policyAnnotations !== undefined && typeof options.policyAnnotations !== 'boolean') {
    throw new InvalidOptionError(
      `invalid policyAnnotations ${show(options.policyAnnotations)}: must be true or false`,
    );
  }
  return {
    runtime,
    maxSize,
    maxFiles,
    workers: integer('workers', options.workers ?? 2, 1, 'must be an integer of at least 1', 256),
    compressionNice: integer(
      'compressionNice',
      options.compressionNice ?? 0,
      0,
      'must be an integer nice value from 0 (normal priority) to 19 (lowest)',
      19,
    ),
    monitorIntervalMs: interval(options.monitorInterval ?? 10_000),
    policy: {
      maxSize,
      maxFiles,
      maxAgeMs: options.maxAge === undefined ? null : positiveDuration('maxAge', options.maxAge),
      compression: compression(options.compression ?? 'gzip', options.compressionLevel),
      delayCompress: options.delayCompress ?? true,
    },
    maxTotalSize: options.maxTotalSize === undefined ? null : budget(options.maxTotalSize),
    policyAnnotations: options.policyAnnotations ?? true,
    fs: options.fs ?? nodeFileSystem,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
  };
}

function compression(value: unknown, level: unknown): CompressionPolicy {
  let spec: string;
  if (typeof value === 'string') spec = value;
  else if (typeof value === 'object' && value !== null && 'codec' in value) {
    const v = value as { codec: unknown; level?: unknown };
    spec = v.level === undefined ? String(v.codec) : `${String(v.codec)}:${String(v.level)}`;
  } else
    throw new InvalidOptionError(
      `invalid compression ${show(value)}: use "gzip", "gzip:<1-9>", "zstd", "zstd:<1-19>", "none" or { codec, level }`,
    );
  if (level !== undefined) {
    if (typeof level !== 'number' || !Number.isInteger(level))
      throw new InvalidOptionError(
        `invalid compressionLevel ${show(level)}: must be an integer level of the codec`,
      );
    spec = `${spec.split(':')[0]}:${level}`;
  }
  try {
    return parseCompression(spec);
  } catch (cause) {
    const message = (cause as Error).message;
    throw new InvalidOptionError(
      level !== undefined && /levels run/.test(message)
        ? `invalid compressionLevel ${level}: ${message.split(': ').pop()}`
        : message,
      { cause },
    );
  }
}

function positiveDuration(name: string, value: unknown): number {
  const ms = typeof value === 'string' ? parseDuration(value, name) : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw new InvalidOptionError(
      `invalid ${name} ${show(value)}: must be a positive duration such as "7d" or a number of milliseconds`,
    );
  }
  return ms;
}

function budget(value: unknown): number {
  const bytes = normalizeMaxSize(value as string | number, 'maxTotalSize');
  if (bytes <= 0)
    throw new InvalidOptionError(
      `invalid maxTotalSize ${show(value)}: must be a positive size such as "5Gi"; leave it unset for no budget`,
    );
  return bytes;
}

/** Parses `maxSize` (quantity string or bytes) the way the kubelet parses `containerLogMaxSize`. */
export function normalizeMaxSize(value: string | number, name = 'maxSize'): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new InvalidOptionError(
        `invalid ${name} ${value}: a number must be a whole count of bytes; use e.g. 10485760 or "10Mi"`,
      );
    }
    return value;
  }
  if (typeof value !== 'string') {
    throw new InvalidOptionError(
      `invalid ${name} ${show(value)}: use a quantity string such as "10Mi" or a number of bytes`,
    );
  }
  try {
    return parseQuantity(value);
  } catch (cause) {
    throw new InvalidOptionError(`invalid ${name} "${value}": ${(cause as Error).message}`, { cause });
  }
}

function integer(
  name: string,
  value: unknown,
  min: number,
  rule: string,
  max = Number.MAX_SAFE_INTEGER,
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new InvalidOptionError(`invalid ${name} ${show(value)}: ${rule}`);
  }
  return value;
}

function interval(value: unknown): number {
  const ms = typeof value === 'string' ? parseDuration(value, 'monitorInterval') : value;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw new InvalidOptionError(
      `invalid monitorInterval ${show(value)}: must be a positive duration such as "10s" or a number of milliseconds`,
    );
  }
  return ms;
}

function show(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : String(value);
}
