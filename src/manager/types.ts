import type { Clock } from '../ports/clock.js';
import type { FileSystem } from '../ports/file-system.js';
import type { Logger } from '../ports/logger.js';
import type { RuntimeService } from '../ports/runtime-service.js';

/** Options of `new ContainerLogManager(options)`; unknown keys are rejected. */
export interface ContainerLogManagerOptions {
  /** The container runtime to ask for containers, log paths and reopens. */
  runtime: RuntimeService;
  /** Rotate when the live log reaches this size: a Kubernetes quantity (`'10Mi'`) or bytes. Negative disables rotation. Default `'10Mi'`. */
  maxSize?: string | number;
  /** Most data files per container, live log included; must be > 1. Default 5. */
  maxFiles?: number;
  /** Containers handled at once. Default 2. */
  workers?: number;
  /** Period of the full pass, in ms or as a duration (`'10s'`). Default 10 s. */
  monitorInterval?: number | string;
  /** gzip level 1-9 for rotated files. Default 6. */
  compressionLevel?: number;
  /** Filesystem port; Node's `fs` by default. */
  fs?: FileSystem;
  /** Clock port; the system clock by default. */
  clock?: Clock;
  /** Structured logger (pino-compatible); silent by default. */
  logger?: Logger;
}

/** What one pass did with one container. */
export interface ContainerReport {
  id: string;
  logPath?: string;
  /**
   * `rotated`: the live log was renamed and reopened. `reopened`: a missing live log was recreated.
   * `none`: below the limit. `skipped`: not running or gone. `failed`: see `error`.
   */
  action: 'rotated' | 'reopened' | 'none' | 'skipped' | 'failed';
  /** Live log size when it was checked. */
  size?: number;
  /** The size limit that applied to this container, in bytes (per-container policies may differ). */
  limit?: number;
  /** Where the live log went, when rotated. */
  rotatedTo?: string;
  /** Compressed files written during this rotation. */
  compressed?: string[];
  /** Rotated files deleted (excess or leftovers). */
  removed?: string[];
  error?: Error;
}

/** Result of `rotateOnce()`. */
export interface PassReport {
  startedAt: Date;
  durationMs: number;
  containers: ContainerReport[];
  /** Set when the pass could not even list containers. */
  error?: Error;
}

/** Emitted after every rotation attempt. */
export interface RotationEvent {
  id: string;
  logPath: string;
  outcome: 'success' | 'reopen_failed' | 'error';
  /** Size of the live log that was rotated. */
  bytes: number;
  durationMs: number;
  rotatedTo?: string;
  error?: Error;
}

/** Emitted after every compression attempt. */
export interface CompressionEvent {
  id: string;
  path: string;
  outcome: 'success' | 'error';
  bytesIn: number;
  bytesOut: number;
  durationMs: number;
  error?: Error;
}

/** Emitted when a runtime call fails. */
export interface RuntimeErrorEvent {
  method: 'listContainers' | 'containerStatus' | 'reopenContainerLog';
  id?: string;
  error: Error;
}

/** Event map of `ContainerLogManager` (an `EventEmitter`). */
export interface ManagerEvents {
  rotation: [RotationEvent];
  compression: [CompressionEvent];
  'runtime-error': [RuntimeErrorEvent];
  pass: [PassReport];
}
