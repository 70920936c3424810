import type { Clock } from '../ports/clock.js';
import type { DiskStats, DiskStatsPort } from '../ports/disk-stats.js';
import type { FileSystem } from '../ports/file-system.js';
import type { ContainerState, RuntimeService } from '../ports/runtime-service.js';
import type { LibrarySettingOptions } from '../settings/index.js';
import type { PolicyClamp } from '../policy/container-policy.js';

/**
 * Options of `new ContainerLogManager(options)`; unknown keys are rejected. Besides the ports, every
 * option is a setting of crilog's settings table (docs/configuration.md lists them with their types and
 * defaults): sizes as a quantity (`'10Mi'`) or bytes, durations as a string with a unit (`'10s'`) or
 * milliseconds.
 */
export interface ContainerLogManagerOptions extends LibrarySettingOptions {
  /** The container runtime to ask for containers, log paths and reopens. */
  runtime: RuntimeService;
  /** Directories whose filesystems `minFree` and `minFreeInodes` watch. Default: those holding the managed logs. */
  diskPaths?: string[];
  /** Port for `statfs`; the real one by default. */
  diskStats?: DiskStatsPort;
  /** Filesystem port; Node's `fs` by default. */
  fs?: FileSystem;
  /** Clock port; the system clock by default. */
  clock?: Clock;
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
  /** Why it was rotated: its size, `maxInterval`, or disk pressure. */
  reason?: RotationReason;
  /** Compressed files written during this rotation. */
  compressed?: string[];
  /** Rotated files deleted (excess or leftovers). */
  removed?: string[];
  /**
   * Set when the live log reached its limit but the per-container rotation rate limit
   * (`minRotationInterval`) held the rotation back: check again after this many ms.
   */
  retryInMs?: number;
  /**
   * Set when the container's policy has a rule that time alone can make due (`maxAge`, `maxInterval`,
   * `minRotatedAge`): its logs may need work later even if nothing on disk changes.
   */
  timeBound?: true;
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

/**
 * A quick pass of `start(hooks)`: only containers whose log directory changed were checked; the others'
 * reports in `reused` are those of an earlier pass, unchanged.
 */
export interface QuickPassEvent {
  report: PassReport;
  reused: ReadonlySet<ContainerReport>;
  /**
   * True when the pass listed the same containers as the one before and reused every report: a
   * listener that follows the set of containers has nothing to update (on an idle node, most passes).
   */
  unchanged?: boolean;
}

/** Why a live log was rotated. */
export type RotationReason = 'size' | 'interval' | 'disk-pressure';

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
  reason?: RotationReason;
  error?: Error;
}

/** Why rotated files were deleted. */
export type RemovalReason = 'max-files' | 'max-age' | 'budget' | 'disk-pressure';

/** Emitted whenever retention deleted rotated files (leftovers of interrupted steps are not counted). */
export interface RemovalEvent {
  id?: string;
  reason: RemovalReason;
  /** Every path removed, compressed twins included. */
  paths: string[];
}

/** One filesystem of the logs, as disk pressure measured it. */
export interface FilesystemReport extends DiskStats {
  /** A log root (or a managed log's directory) on that filesystem. */
  path: string;
  /** Still below the threshold plus hysteresis after acting. */
  pressure: boolean;
  /** What it was before crilog acted (only when it acted). */
  before?: DiskStats;
}

/** Emitted after every check that found a filesystem under pressure. */
export interface DiskPressureEvent {
  /** Counts episodes since start: one episode lasts until free space is back above threshold plus hysteresis. */
  episode: number;
  /** The first check of this episode. */
  first: boolean;
  /** The filesystems that were under pressure, after acting. */
  filesystems: FilesystemReport[];
  compressed: string[];
  removed: string[];
  /** Live logs rotated early (their rotated paths). */
  rotated: string[];
  /** Files younger than `minRotatedAge` that were compressed or deleted anyway. */
  minRotatedAgeOverridden: number;
  /** Every filesystem is back above its threshold plus hysteresis. */
  relieved: boolean;
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

/**
 * Emitted once per check of a container that failed (`action: 'failed'` in its report), from passes,
 * `checkContainer` and the budget's early rotations alike: the one place to log such failures.
 */
export interface ContainerErrorEvent {
  id: string;
  logPath?: string;
  /** Wrapped with the container and path; a failed rotation's `RotationError` is among its causes. */
  error: Error;
}

/** Work of the manager's own that failed as a whole; the next pass or check tries again. */
export interface TaskErrorEvent {
  /** `pass`: a pass of `start()`; `disk-check`: free space; `budget`: the node log budget. */
  task: 'pass' | 'disk-check' | 'budget';
  error: Error;
}

/** Emitted once per container whose `crilog.io/*` annotations were (partly) rejected. */
export interface PolicyErrorEvent {
  id: string;
  problems: string[];
}

/** Emitted once per container whose `crilog.io/*` annotations went beyond the operator's bounds. */
export interface PolicyClampedEvent {
  id: string;
  /** Each value changed: the policy field, the annotation's value, the bound, and what applies instead. */
  clamped: PolicyClamp[];
}

/** Emitted whenever the node budget was checked while over its limit. */
export interface BudgetEvent {
  limitBytes: number;
  /** Bytes of all managed logs after enforcement. */
  usedBytes: number;
  /** Rotated files deleted to get under the budget. */
  removed: string[];
  /** Live logs rotated ahead of their limit because live logs alone were over the budget (new names). */
  rotated?: string[];
}

/** Event map of `ContainerLogManager` (an `EventEmitter`). */
export interface ManagerEvents {
  rotation: [RotationEvent];
  compression: [CompressionEvent];
  'runtime-error': [RuntimeErrorEvent];
  'container-error': [ContainerErrorEvent];
  'task-error': [TaskErrorEvent];
  pass: [PassReport];
  'quick-pass': [QuickPassEvent];
  'policy-error': [PolicyErrorEvent];
  'policy-clamped': [PolicyClampedEvent];
  budget: [BudgetEvent];
  removed: [RemovalEvent];
  'disk-pressure': [DiskPressureEvent];
}
