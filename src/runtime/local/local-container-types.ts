import type { Logger } from '../../ports/logger.js';
import type { ContainerState } from '../../ports/runtime-service.js';
import type { CriLogWriterOptions, CriLogWriterStats } from './cri-log-writer.js';

/** Everything the runtime knows about one container, for status views. */
export interface LocalContainerSnapshot {
  id: string;
  name: string;
  state: ContainerState;
  pid?: number;
  /** Completed restarts; the current log is `<logRoot>/<name>/<restartCount>.log`. */
  restartCount: number;
  logPath: string;
  exitCode?: number;
  signal?: NodeJS.Signals;
  /** `Completed`, `Error`, `StartError` once exited, as the kubelet names them. */
  reason?: string;
  message?: string;
  createdAt: Date;
  startedAt?: Date;
  finishedAt?: Date;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  /** Counters of the current (or last) log writer. */
  log?: CriLogWriterStats;
}

/** Emitted when an attempt ends, after its log was flushed and closed. */
export interface LocalExitEvent {
  id: string;
  name: string;
  restartCount: number;
  logPath: string;
  exitCode: number;
  signal?: NodeJS.Signals;
  /** The reason the process could not be started at all, if that happened. */
  error?: Error;
  /** True when the restart policy schedules another attempt. */
  willRestart: boolean;
}

/** Emitted when an attempt's process was spawned. */
export interface LocalStartEvent {
  id: string;
  name: string;
  pid: number;
  restartCount: number;
  logPath: string;
}

/** What a container needs from its runtime. */
export interface LocalContainerContext {
  writerOptions: CriLogWriterOptions;
  logger: Logger;
  /** Longest wait for a process's pipes to close after it exited (a grandchild may hold them). */
  exitDrainMs: number;
  restartBackoff: { initialMs: number; maxMs: number };
  onStart(event: LocalStartEvent): void;
  onExit(event: LocalExitEvent): void;
}

/** Where each attempt logs: derived from the attempt number, or one fixed path (CRI-created containers). */
export type LogPathFor = (restartCount: number) => string;
