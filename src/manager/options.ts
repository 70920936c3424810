import { parseDuration } from '../config/duration.js';
import { parseQuantity } from '../config/quantity.js';
import { InvalidOptionError } from '../errors/crilog-error.js';
import { systemClock, type Clock } from '../ports/clock.js';
import { nodeFileSystem, type FileSystem } from '../ports/file-system.js';
import { silentLogger, type Logger } from '../ports/logger.js';
import type { RuntimeService } from '../ports/runtime-service.js';
import type { ContainerLogManagerOptions } from './types.js';

/** Options after validation, with defaults applied and units resolved. */
export interface NormalizedOptions {
  runtime: RuntimeService;
  /** Bytes; negative means rotation is off. */
  maxSize: number;
  maxFiles: number;
  workers: number;
  monitorIntervalMs: number;
  compressionLevel: number;
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
  'compressionLevel',
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
  return {
    runtime,
    maxSize: normalizeMaxSize(options.maxSize ?? '10Mi'),
    maxFiles: integer(
      'maxFiles',
      options.maxFiles ?? 5,
      2,
      'must be an integer greater than 1 (the live log plus at least one rotated file)',
    ),
    workers: integer('workers', options.workers ?? 2, 1, 'must be an integer of at least 1', 256),
    monitorIntervalMs: interval(options.monitorInterval ?? 10_000),
    compressionLevel: integer(
      'compressionLevel',
      options.compressionLevel ?? 6,
      1,
      'must be a gzip level from 1 to 9',
      9,
    ),
    fs: options.fs ?? nodeFileSystem,
    clock: options.clock ?? systemClock,
    logger: options.logger ?? silentLogger,
  };
}

/** Parses `maxSize` (quantity string or bytes) the way the kubelet parses `containerLogMaxSize`. */
export function normalizeMaxSize(value: string | number): number {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value))
      throw new InvalidOptionError(
        `invalid maxSize ${value}: a number must be a whole count of bytes; use e.g. 10485760 or "10Mi"`,
      );
    return value;
  }
  if (typeof value !== 'string')
    throw new InvalidOptionError(
      `invalid maxSize ${show(value)}: use a quantity string such as "10Mi" or a number of bytes`,
    );
  try {
    return parseQuantity(value);
  } catch (cause) {
    throw new InvalidOptionError(`invalid maxSize "${value}": ${(cause as Error).message}`, { cause });
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
