import type { Clock } from '../ports/clock.js';
import type { FileSystem } from '../ports/file-system.js';
import type { Logger } from '../ports/logger.js';
import type { ContainerState, RuntimeService } from '../ports/runtime-service.js';

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
  /** Delete rotated files older than this (by last write): `'7d'` or ms. Default: keep by count only. */
  maxAge?: string | number;
  /** `'gzip'` (default), `'gzip:9'`, `'zstd'`, `'zstd:19'` (needs the optional `zstd-napi`), `'none'`, or `{ codec, level }`. */
  compression?: string | { codec: 'gzip' | 'zstd' | 'none'; level?: number };
  /** Level for the chosen codec (gzip 1-9, default 6; zstd 1-19, default 3). */
  compressionLevel?: number;
  /**
   * Nice value (0-19) of the threads that compress rotated files (Linux). Compression runs on worker
   * threads either way; a positive value makes it give way to rotations and to workloads when the CPU is
   * busy. Default 0 (the process's own priority); `crilog daemon` uses 10.
   */
  compressionNice?: number;
  /** Keep the newest rotated file uncompressed until the next rotation, as the kubelet does. Default true. */
  delayCompress?: boolean;
  /** Byte budget for all managed logs together (`'5Gi'`): over it, the oldest rotated files of the biggest users go first; live logs are never deleted. Default: none. */
  maxTotalSize?: string | number;
  /** Let `crilog.io/max-size`, `max-files`, `max-age` and `compression` annotations (or labels) override the node policy. Default true. */
  policyAnnotations?: boolean;
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
  /** Runtime state when checked. */
  state?: ContainerState;
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
  /** The size limit that applied to the container (its own policy or the node's). */
  limit?: number;
  durationMs: number;
  rotatedTo?: string;
  error?: Error;
}

/** Emitted after every compression attempt. */
export interface CompressionEvent {
  id: string;
  path: string;
  /**
   * `skipped`: the file was deleted (trimmed, expired, over the budget, cleaned) before its compression
   * finished; many of these mean compression cannot keep up with rotation.
   */
  outcome: 'success' | 'error' | 'skipped';
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

/** Emitted once per container whose `crilog.io/*` annotations were (partly) rejected. */
export interface PolicyErrorEvent {
  id: string;
  problems: string[];
}

/** Emitted whenever the node budget was checked while over its limit. */
export interface BudgetEvent {
  limitBytes: number;
  /** Bytes of all managed logs after enforcement. */
  usedBytes: number;
  /** Rotated files deleted to get under the budget. */
  removed: string[];
}

/** Event map of `ContainerLogManager` (an `EventEmitter`). */
export interface ManagerEvents {
  rotation: [RotationEvent];
  compression: [CompressionEvent];
  'runtime-error': [RuntimeErrorEvent];
  pass: [PassReport];
  'policy-error': [PolicyErrorEvent];
  budget: [BudgetEvent];
}
