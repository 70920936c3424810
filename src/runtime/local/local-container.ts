import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir } from 'node:fs/promises';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ContainerNotRunningError, RuntimeError } from '../../errors/crilog-error.js';
import type { ContainerState } from '../../ports/runtime-service.js';
import { trackChild } from './child-reaper.js';
import { CriLogWriter, type CriLogWriterStats } from './cri-log-writer.js';
import type { LocalContainerContext, LocalContainerSnapshot, LogPathFor } from './local-container-types.js';
import type { ProcessSpec } from '../../settings/process-spec.js';

const msToDate = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms));

/**
 * One process declaration and its attempts. Each attempt writes to its own log file; a container is
 * `running` from spawn until its output has been flushed after exit, so `exited` means the log is complete.
 */
export class LocalContainer {
  #state: ContainerState = 'created';
  #restartCount: number;
  #child: ChildProcess | undefined;
  #writer: CriLogWriter | undefined;
  #lastStats: CriLogWriterStats | undefined;
  #attempt: Promise<void> | undefined;
  #launching: Promise<void> | undefined;
  #restartTimer: NodeJS.Timeout | undefined;
  #stopping = false;
  #backoffMs: number;
  readonly #createdAt = Date.now();
  #startedAt: number | undefined;
  #finishedAt: number | undefined;
  #exit: { code: number; signal?: NodeJS.Signals; reason: string; message?: string } | undefined;

  constructor(
    readonly id: string,
    readonly spec: Required<Omit<ProcessSpec, 'cwd'>> & Pick<ProcessSpec, 'cwd'>,
    readonly logPathFor: LogPathFor,
    readonly ctx: LocalContainerContext,
    firstAttempt = 0,
  ) {
    this.#restartCount = firstAttempt;
    this.#backoffMs = ctx.restartBackoff.initialMs;
  }

  get state(): ContainerState {
    return this.#state;
  }

  get logPath(): string {
    return this.logPathFor(this.#restartCount);
  }

  /** A copy of the current state. */
  snapshot(): LocalContainerSnapshot {
    const exit = this.#exit;
    const log = this.#writer?.stats() ?? this.#lastStats;
    return {
      id: this.id,
      name: this.spec.name,
      state: this.#state,
      ...(this.#state === 'running' && this.#child?.pid !== undefined ? { pid: this.#child.pid } : {}),
      restartCount: this.#restartCount,
      logPath: this.logPath,
      ...(exit && this.#state === 'exited'
        ? {
            exitCode: exit.code,
            reason: exit.reason,
            ...(exit.signal ? { signal: exit.signal } : {}),
            ...(exit.message ? { message: exit.message } : {}),
          }
        : {}),
      createdAt: new Date(this.#createdAt),
      ...(this.#startedAt !== undefined ? { startedAt: msToDate(this.#startedAt) } : {}),
      ...(this.#finishedAt !== undefined && this.#state === 'exited'
        ? { finishedAt: msToDate(this.#finishedAt) }
        : {}),
      labels: { ...this.spec.labels },
      annotations: {
        ...this.spec.annotations,
        'io.kubernetes.container.restartCount': String(this.#restartCount),
      },
      ...(log ? { log } : {}),
    };
  }

  /** Starts the first attempt; resolves once the process was spawned, rejects if it could not be. */
  async start(): Promise<void> {
    if (this.#state !== 'created' || this.#stopping) {
      throw new RuntimeError(
        `container "${this.id}" was already started (state ${this.#state}); add a new one to run it again`,
        'start',
      );
    }
    await this.#launchTracked();
  }

  /** Asks the writer for a fresh file at the same path; only while the process runs. */
  async reopenLog(): Promise<void> {
    // A writer closing after the process exited counts as stopped, as for containerd.
    if (this.#state !== 'running' || !this.#writer || this.#writer.closed)
      throw new ContainerNotRunningError(this.id);
    await this.#writer.reopen();
  }

  /**
   * Stops for good: no more restarts, SIGTERM, SIGKILL after `graceMs`, and resolves once the process
   * exited and its log was flushed and closed.
   */
  async stop(graceMs: number): Promise<void> {
    this.#stopping = true;
    clearTimeout(this.#restartTimer);
    this.#restartTimer = undefined;
    if (this.#state === 'created') this.#state = 'exited';
    await this.#launching?.catch(() => undefined);
    const child = this.#child;
    if (child && child.exitCode === null && child.signalCode === null) {
      const killTimer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.kill(graceMs > 0 ? 'SIGTERM' : 'SIGKILL');
      try {
        await this.#attempt;
      } finally {
        clearTimeout(killTimer);
      }
    } else {
      await this.#attempt;
    }
  }

  #launchTracked(): Promise<void> {
    const launching = this.#launch();
    this.#launching = launching;
    return launching.finally(() => {
      if (this.#launching === launching) this.#launching = undefined;
    });
  }

  /** Spawns one attempt and resolves when it runs (or failed to start). */
  async #launch(): Promise<void> {
    const logPath = this.logPath;
    let writer: CriLogWriter;
    try {
      await mkdir(path.dirname(logPath), { recursive: true, mode: 0o755 });
      writer = await CriLogWriter.open(logPath, this.ctx.writerOptions);
    } catch (cause) {
      this.#startedAt = undefined;
      this.#finish(
        { code: 128, reason: 'StartError', message: `cannot open log: ${(cause as Error).message}` },
        cause as Error,
      );
      throw new RuntimeError(
        `failed to start container "${this.spec.name}": cannot open its log "${logPath}"`,
        'start',
        { cause },
      );
    }
    const { spec } = this;
    const child = spawn(spec.command, spec.args, {
      cwd: spec.cwd,
      env: { ...process.env, ...spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: false,
    });
    try {
      await once(child, 'spawn');
    } catch (cause) {
      await writer.close();
      const code = (cause as NodeJS.ErrnoException).code === 'ENOENT' ? 127 : 126;
      this.#startedAt = undefined;
      this.#finish({ code, reason: 'StartError', message: (cause as Error).message }, cause as Error);
      throw new RuntimeError(
        `failed to start container "${spec.name}": ${(cause as Error).message}; check command and cwd`,
        'start',
        { cause },
      );
    }
    trackChild(child);
    child.on('error', (err) => this.ctx.logger.warn({ err, id: this.id }, 'local container process error'));
    this.#child = child;
    this.#writer = writer;
    this.#state = 'running';
    this.#startedAt = Date.now();
    this.#exit = undefined;
    this.#attempt = this.#supervise(child, writer);
    this.ctx.onStart({
      id: this.id,
      name: spec.name,
      pid: child.pid as number,
      restartCount: this.#restartCount,
      logPath,
    });
  }

  /** Pumps the output into the log until the process exited and its pipes are drained. */
  async #supervise(child: ChildProcess, writer: CriLogWriter): Promise<void> {
    const stdout = child.stdout!;
    const stderr = child.stderr!;
    const drained = Promise.all([
      pipeline(stdout, writer.sink('stdout')),
      pipeline(stderr, writer.sink('stderr')),
    ]).catch((err) =>
      this.ctx.logger.warn({ err, id: this.id }, 'local container output ended with an error'),
    );
    // Not events.once: it would reject on a later 'error' event (a failed kill) and lose the exit.
    const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
      child.once('exit', (c, s) => resolve([c, s])),
    );
    this.#finishedAt = Date.now();
    // A grandchild may still hold the pipes; it gets a short grace, then its output is cut off.
    let drainTimer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => (drainTimer = setTimeout(resolve, this.ctx.exitDrainMs)));
    await Promise.race([drained, timedOut]);
    clearTimeout(drainTimer);
    stdout.destroy();
    stderr.destroy();
    await drained;
    await writer
      .close()
      .catch((err) => this.ctx.logger.warn({ err, id: this.id }, 'failed to close container log'));
    const exitCode = code ?? 128 + (signal ? (osConstants.signals[signal] ?? 0) : 0);
    const reason = exitCode === 0 ? 'Completed' : 'Error';
    this.#finish({ code: exitCode, reason, ...(signal ? { signal } : {}) });
  }

  /** Records the end of an attempt, reports it, and schedules the next one if the policy says so. */
  #finish(
    exit: { code: number; signal?: NodeJS.Signals; reason: string; message?: string },
    error?: Error,
  ): void {
    const logPath = this.logPath;
    this.#lastStats = this.#writer?.stats() ?? this.#lastStats;
    this.#writer = undefined;
    this.#child = undefined;
    this.#exit = exit;
    this.#finishedAt ??= Date.now();
    this.#state = 'exited';
    const policy = this.spec.restart;
    const willRestart =
      !this.#stopping && (policy === 'always' || (policy === 'on-failure' && exit.code !== 0));
    this.ctx.onExit({
      id: this.id,
      name: this.spec.name,
      restartCount: this.#restartCount,
      logPath,
      exitCode: exit.code,
      ...(exit.signal ? { signal: exit.signal } : {}),
      ...(error ? { error } : {}),
      willRestart,
    });
    if (willRestart) this.#scheduleRestart();
  }

  #scheduleRestart(): void {
    const ranMs = (this.#finishedAt ?? 0) - (this.#startedAt ?? 0);
    // A process that ran longer than the longest backoff is healthy again: start over from the shortest.
    if (this.#startedAt !== undefined && ranMs > this.ctx.restartBackoff.maxMs)
      this.#backoffMs = this.ctx.restartBackoff.initialMs;
    const delay = this.#backoffMs;
    this.#backoffMs = Math.min(this.#backoffMs * 2, this.ctx.restartBackoff.maxMs);
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#stopping) return;
      this.#restartCount++;
      this.#finishedAt = undefined;
      this.#launchTracked().catch((err) =>
        this.ctx.logger.warn({ err, id: this.id }, 'local container restart failed'),
      );
    }, delay);
  }
}
