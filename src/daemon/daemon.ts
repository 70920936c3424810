import type { DaemonConfig } from '../settings/index.js';
import { ContainerLogManager } from '../manager/container-log-manager.js';
import type { PassReport, RotationEvent } from '../manager/types.js';
import { DiskUsage } from '../metrics/disk-usage.js';
import { CrilogMetrics } from '../metrics/metrics.js';
import type { Logger } from '../ports/logger.js';
import { startHttpServer, type RunningHttpServer } from './http-server.js';
import { acquireLock, type LockHandle } from './lock-file.js';
import { logManagerEvents } from './log-manager-events.js';
import { managerOptions } from './manager-options.js';
import type { RootGuardRuntime } from './root-guard.js';
import type { RuntimeFactory, RuntimeHandle } from './runtime-factory.js';
import { assemble } from './assemble.js';
import type { LogPathCachingRuntime } from './log-path-cache.js';
import { collectUsage, type UsageReport } from './usage/collect-usage.js';
import { LogRootWatcher } from './discovery/log-root-watcher.js';
import { LogTrigger, type LogTriggerOptions, type TriggerTarget } from './trigger/log-trigger.js';
import { ConfigReloader, type ReloadResult, type ReloadTrigger } from './reload/config-reloader.js';
import type { DiskPressureEvent } from '../manager/types.js';
import { formatThreshold } from '../manager/disk/free-threshold.js';

/** Options of `new Daemon()`. */
export interface DaemonOptions {
  config: DaemonConfig;
  logger: Logger;
  /** Runtime factories by `--runtime` value. */
  runtimeFactories?: Readonly<Record<string, RuntimeFactory>>;
  env?: NodeJS.ProcessEnv;
  /** Trigger tuning (tests inject a watch function or a throttle); `false` leaves only the periodic pass. */
  trigger?: Partial<Omit<LogTriggerOptions, 'check'>> | false;
  /** Take the single-instance lock. Default true. */
  lock?: boolean;
  /** Export Node process metrics. Default true. */
  defaultMetrics?: boolean;
  /**
   * Live reload: how to read the configuration again (the file, under the flags the daemon was
   * started with), and how to apply a new log level. Without it `reload()` is refused.
   */
  reload?: { load: () => Promise<DaemonConfig>; setLogLevel?: (level: DaemonConfig['logLevel']) => void };
  /** Export per-container metric series; default: the config's `perContainerMetrics` (a reload may change it). */
  perContainerMetrics?: boolean;
}

/** How long a `/status` answer is served again before it is computed anew. */
export const USAGE_REUSE_MS = 1000;

/** Per-container memory of the daemon, for `/status`. */
interface Seen {
  rotations: number;
}

/**
 * `crilog daemon`: the periodic pass (the safety net), the write trigger that rotates fast writers
 * near their limit, metrics and health endpoints, and a clean stop. Nothing but `start()` and
 * `stop()` touch the process: signals are the caller's business.
 */
export class Daemon {
  #config: DaemonConfig;
  readonly metrics: CrilogMetrics;
  readonly #opts: DaemonOptions;
  readonly #log: Logger;
  /** Rotated files of watched containers are listed again when their watch saw a change (`onRotatedChange`). */
  readonly #disk = new DiskUsage(undefined, undefined, undefined, {
    watched: (id) => this.#trigger?.watches(id) ?? false,
  });
  readonly #seen = new Map<string, Seen>();
  /** The runtime as the manager sees it; its latest listing names containers for the metrics. */
  #logPaths: LogPathCachingRuntime | undefined;
  #lock: LockHandle | undefined;
  #handle: RuntimeHandle | undefined;
  #manager: ContainerLogManager | undefined;
  #trigger: LogTrigger | undefined;
  #discovery: LogRootWatcher | undefined;
  #server: RunningHttpServer | undefined;
  #guard: RootGuardRuntime | undefined;
  /** The `/status` computation in progress, shared by every request that arrives meanwhile. */
  #usageRun: Promise<UsageReport> | undefined;
  /** The last `/status` answer and when it was made; reused for `USAGE_REUSE_MS`. */
  #usageLast: { at: number; report: UsageReport } | undefined;
  #unbind: (() => void) | undefined;
  #ready = false;
  #readyError: string | undefined = 'no pass yet';
  #lastPass: PassReport | undefined;
  #rotations = 0;
  #startedAt = new Date();
  #stopping: Promise<void> | undefined;
  #reloader: ConfigReloader | undefined;

  constructor(options: DaemonOptions) {
    this.#opts = options;
    this.#config = options.config;
    this.#log = options.logger;
    this.metrics = new CrilogMetrics({
      defaultMetrics: options.defaultMetrics ?? true,
      bytesOnDisk: () => this.#disk.total(),
      identify: (id) => this.#logPaths?.info(id),
      perContainer: options.perContainerMetrics ?? options.config.perContainerMetrics,
    });
  }

  /** The running configuration; a live reload replaces it. */
  get config(): DaemonConfig {
    return this.#config;
  }

  /**
   * Reads the configuration again and applies it from the next check on (SIGHUP; the config file's
   * watcher calls it too). A bad configuration, or one changing a setting that cannot change live,
   * is refused and the running one stays.
   */
  reload(trigger: ReloadTrigger = 'SIGHUP'): Promise<ReloadResult> {
    if (!this.#reloader) {
      const result: ReloadResult = {
        outcome: 'rejected',
        trigger,
        changed: [],
        error: 'the daemon is not running',
      };
      return Promise.resolve(result);
    }
    return this.#reloader.reload(trigger);
  }

  #apply(next: DaemonConfig): void {
    this.#manager?.reconfigure({ ...managerOptions(next), diskPaths: next.logRoots });
    this.#syncMetrics(next);
    if (next.logLevel !== this.#config.logLevel) this.#opts.reload?.setLogLevel?.(next.logLevel);
    this.#config = next;
  }

  /** Series that follow settings a reload may change: the pass interval, the budget, per-container series. */
  #syncMetrics(config: DaemonConfig): void {
    const manager = this.#manager;
    if (manager) {
      this.metrics.setMonitorInterval(manager.enabled ? config.monitorInterval : null);
      this.metrics.syncBudget();
    }
    this.metrics.containers.enabled = this.#opts.perContainerMetrics ?? config.perContainerMetrics;
  }

  #onReload(result: ReloadResult): void {
    this.metrics.configReloads.inc({ outcome: result.outcome });
    if (result.outcome === 'success')
      this.#log.info({ trigger: result.trigger, changed: result.changed }, 'configuration reloaded');
    else
      this.#log.error(
        { trigger: result.trigger, error: result.error, configFile: this.#config.configFile },
        `configuration reload refused; the running configuration stays: ${result.error}`,
      );
  }

  /** The manager, once started. */
  get manager(): ContainerLogManager | undefined {
    return this.#manager;
  }

  /** Where the metrics server listens, once started. */
  get address(): { host: string; port: number } | undefined {
    return this.#server ? { host: this.#server.host, port: this.#server.port } : undefined;
  }

  /** False while the runtime is unreachable (the last attempt to list containers failed). */
  get ready(): boolean {
    return this.#ready;
  }

  /**
   * Takes the lock, connects the runtime (an unreachable runtime is not fatal: the daemon reports
   * not-ready and catches up when it returns), starts the server, the passes and the trigger. On a
   * failure everything started so far is released again before the error is thrown.
   */
  async start(): Promise<void> {
    const { config } = this;
    this.#startedAt = new Date();
    try {
      if (this.#opts.lock ?? true) this.#lock = await acquireLock(config.lockFile, 'crilog daemon');
      const manager = await this.#assemble();
      this.#server = await this.#serve();
      if (manager.enabled) this.metrics.setMonitorInterval(config.monitorInterval);
      else
        this.#log.warn(
          { maxSize: config.maxSize },
          'maxSize is negative: rotation is off, serving metrics only',
        );
      if (this.#opts.trigger !== false) await this.#watch(manager, this.#opts.trigger ?? {});
      manager.start({
        ...(this.#trigger ? { tracker: this.#trigger } : {}),
        ...(this.#discovery ? { discovery: this.#discovery } : {}),
        lastListed: () => this.#logPaths?.lastList,
      });
      if (this.#opts.reload) await this.#startReloader(this.#opts.reload.load);
      this.#logStarted(manager);
    } catch (err) {
      await this.#release();
      throw err;
    }
  }

  /** The runtime (probed, but not required to answer yet), the root guard and the manager, wired up. */
  async #assemble(): Promise<ContainerLogManager> {
    const assembly = await assemble(this.config, {
      logger: this.#log,
      env: this.#opts.env ?? process.env,
      longRunning: true,
      runtimeFactories: this.#opts.runtimeFactories,
    });
    this.#handle = assembly.handle;
    await this.#probe(this.#handle);
    this.#logPaths = assembly.cache;
    this.#guard = assembly.runtime;
    const manager = (this.#manager = assembly.createManager());
    this.#unbind = this.metrics.bindManager(manager);
    this.#wire(manager);
    return manager;
  }

  /** `/metrics`, `/healthz`, `/readyz` and `/status` on the metrics address. */
  #serve(): Promise<RunningHttpServer> {
    return startHttpServer(
      this.config.metricsAddress,
      {
        metrics: async () => {
          const { contentType, chunks } = await this.metrics.exposition();
          return { contentType, body: chunks };
        },
        ready: () => ({ ok: this.#ready, ...(this.#readyError ? { reason: this.#readyError } : {}) }),
        usage: () => this.usageReport(),
      },
      this.#log,
    );
  }

  /**
   * The write trigger (a watch per log directory: fast writers are rotated near their limit) and the
   * discovery of new containers from their log directories appearing, instead of a listing per interval.
   */
  async #watch(
    manager: ContainerLogManager,
    tuning: Partial<Omit<LogTriggerOptions, 'check'>>,
  ): Promise<void> {
    this.#trigger = new LogTrigger({
      logger: this.#log,
      ...tuning,
      check: (id) => manager.checkContainer(id),
      onSize: (id, size, limit) => {
        this.metrics.observeLive(id, size, limit);
        this.#disk.observeLive(id, size);
      },
      onCheck: (source) => this.metrics.triggerChecks.inc({ source }),
      onRotatedChange: (id) => this.#disk.invalidate(id),
    });
    this.#discovery = new LogRootWatcher({
      roots: this.config.logRoots,
      logger: this.#log,
      ...(tuning.watch ? { watch: tuning.watch } : {}),
    });
    await this.#discovery.start();
  }

  /** Live reload: SIGHUP and the config file's watcher. */
  async #startReloader(load: () => Promise<DaemonConfig>): Promise<void> {
    this.#reloader = new ConfigReloader({
      file: this.config.configFile,
      load,
      current: () => this.#config,
      apply: (next) => this.#apply(next),
      onResult: (r) => this.#onReload(r),
      logger: this.#log,
    });
    await this.#reloader.start();
  }

  #logStarted(manager: ContainerLogManager): void {
    const { config } = this;
    this.#log.info(
      {
        runtime: this.#handle?.description,
        metrics: this.#server ? `${this.#server.host}:${this.#server.port}` : undefined,
        maxSize: config.maxSize,
        maxFiles: config.maxFiles,
        workers: config.workers,
        monitorIntervalMs: config.monitorInterval,
        compression: config.compression,
        gzipEngine: manager.gzipEngine,
        maxAgeMs: config.maxAge,
        maxTotalSize: config.maxTotalSize,
        logRoots: config.logRoots,
      },
      'crilog daemon started',
    );
  }

  async #probe(handle: RuntimeHandle): Promise<void> {
    try {
      const version = await handle.probe();
      this.#setReady(true);
      this.#log.info({ runtime: handle.description, version }, 'connected to the container runtime');
    } catch (err) {
      this.#setReady(false, (err as Error).message);
      this.#log.warn(
        { runtime: handle.description, err },
        'container runtime unreachable; will keep trying every pass',
      );
    }
  }

  #setReady(ok: boolean, reason?: string): void {
    this.#ready = ok;
    this.#readyError = ok ? undefined : reason;
    this.metrics.runtimeUp.set(ok ? 1 : 0);
  }

  /** What the daemon keeps of the manager's events; their log lines come from `logManagerEvents`. */
  #wire(manager: ContainerLogManager): void {
    logManagerEvents(manager, this.#log);
    manager.on('rotation', (e: RotationEvent) => {
      if (e.outcome === 'success') {
        this.#rotations++;
        const seen = this.#seen.get(e.id) ?? { rotations: 0 };
        seen.rotations++;
        this.#seen.set(e.id, seen);
      }
      this.#disk.invalidate(e.id);
    });
    manager.on('compression', (e) => this.#disk.invalidate(e.id));
    manager.on('pass', (report) => this.#onPass(report));
    manager.on('quick-pass', ({ report, unchanged }) => this.#onPass(report, unchanged));
    manager.on('budget', () => {
      for (const id of this.#seen.keys()) this.#disk.invalidate(id);
    });
    manager.on('disk-pressure', (e) => this.#onDiskPressure(e));
  }

  /** One log line per episode: its first relief round, with what it did. */
  #onDiskPressure(e: DiskPressureEvent): void {
    for (const id of this.#seen.keys()) this.#disk.invalidate(id);
    const fields = {
      episode: e.episode,
      filesystems: e.filesystems.map((f) => ({
        path: f.path,
        bytesFreeBefore: f.before?.bytesFree,
        bytesFree: f.bytesFree,
        bytesTotal: f.bytesTotal,
        inodesFree: f.inodesFree,
        inodesTotal: f.inodesTotal,
      })),
      minFree: formatThreshold(this.#config.minFree),
      minFreeInodes: formatThreshold(this.#config.minFreeInodes),
      compressed: e.compressed.length,
      removed: e.removed.length,
      rotatedEarly: e.rotated.length,
      minRotatedAgeOverridden: e.minRotatedAgeOverridden,
      relieved: e.relieved,
    };
    if (e.first)
      this.#log.warn(
        fields,
        e.relieved
          ? 'disk pressure: free space on a log filesystem fell below the threshold; relieved it'
          : 'disk pressure: free space on a log filesystem fell below the threshold and could not be restored; live logs are never deleted',
      );
    else this.#log.debug(fields, 'disk pressure continues');
  }

  /** `unchanged`: the same containers and reports as the pass before, so watches and sizes stay as they are. */
  #onPass(report: PassReport, unchanged = false): void {
    this.#lastPass = report;
    if (unchanged && !report.error) {
      this.#setReady(true);
      this.metrics.watchedDirectories.set(this.#trigger?.watchedDirectories ?? 0);
      this.metrics.polledContainers.set(this.#trigger?.polledContainers ?? 0);
      return;
    }
    this.#disk.observePass(report);
    if (report.error) {
      if (this.#ready)
        this.#log.warn(
          { err: report.error },
          'container runtime unreachable; not ready until it answers again',
        );
      this.#setReady(
        false,
        report.error.cause instanceof Error ? report.error.cause.message : report.error.message,
      );
      return;
    }
    if (!this.#ready) this.#log.info({}, 'container runtime answers; ready');
    this.#setReady(true);
    const targets: TriggerTarget[] = [];
    for (const container of report.containers) {
      // Only running containers write: a stopped one's files are kept in order by the passes alone.
      const writing = container.state === undefined || container.state === 'running';
      // A container whose rotation is off (a negative crilog.io/max-size) needs no watch either.
      const { limit, logPath } = container;
      if (
        writing &&
        limit !== undefined &&
        limit >= 0 &&
        logPath !== undefined &&
        container.action !== 'skipped'
      )
        targets.push({ id: container.id, logPath, limit });
    }
    const listed = new Set(report.containers.map((c) => c.id));
    for (const id of this.#seen.keys()) if (!listed.has(id)) this.#seen.delete(id);
    this.#trigger?.update(targets);
    this.metrics.watchedDirectories.set(this.#trigger?.watchedDirectories ?? 0);
    this.metrics.polledContainers.set(this.#trigger?.polledContainers ?? 0);
    const rotated = report.containers.filter((c) => c.action === 'rotated').length;
    const failed = report.containers.filter((c) => c.action === 'failed').length;
    this.#log.debug(
      {
        containers: report.containers.length,
        managed: targets.length,
        rotated,
        failed,
        durationMs: Math.round(report.durationMs),
      },
      'pass done',
    );
  }

  /**
   * The daemon's view of every container: files as `crilog status` sees them, plus rotation counts.
   * It costs the runtime nothing (containers and paths are what the passes last learned, through the
   * root guard), at most one computation runs at a time, and an answer is reused for
   * `USAGE_REUSE_MS`, so a client polling `/status` in a loop cannot make crilog work harder.
   */
  usageReport(): Promise<UsageReport> {
    const last = this.#usageLast;
    if (last && performance.now() - last.at < USAGE_REUSE_MS) return Promise.resolve(last.report);
    this.#usageRun ??= this.#computeUsage()
      .then((report) => {
        this.#usageLast = { at: performance.now(), report };
        return report;
      })
      .finally(() => (this.#usageRun = undefined));
    return this.#usageRun;
  }

  async #computeUsage(): Promise<UsageReport> {
    if (!this.#handle || !this.#guard) throw new Error('the daemon has not started');
    const report = await collectUsage({
      runtime: this.#guard.known(),
      logRoots: this.config.logRoots,
      maxSize: this.config.maxSize,
      maxFiles: this.config.maxFiles,
      ...(this.#manager
        ? {
            policy: {
              node: this.#manager.options.policy,
              annotations: this.config.policyAnnotations,
              bounds: this.#manager.options.bounds,
            },
          }
        : {}),
    });
    for (const row of report.containers) row.rotations = this.#seen.get(row.id)?.rotations ?? 0;
    const last = this.#lastPass;
    return {
      ...report,
      source: 'daemon',
      totals: { ...report.totals, rotations: this.#rotations },
      daemon: {
        pid: process.pid,
        startedAt: this.#startedAt.toISOString(),
        ready: this.#ready,
        runtime: this.#handle.description,
        ...(this.#readyError ? { readyError: this.#readyError } : {}),
        ...(last
          ? {
              lastPass: {
                at: last.startedAt.toISOString(),
                durationMs: Math.round(last.durationMs),
                ...(last.error ? { error: last.error.message } : {}),
              },
            }
          : {}),
      },
    };
  }

  /**
   * Stops taking work (trigger and passes), lets in-flight rotations finish (pending compressions are
   * cancelled and redone by the next start), closes the server and the runtime, and releases the lock.
   * Idempotent.
   */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.#log.info({}, 'stopping');
      await this.#release();
      this.#log.info({}, 'stopped');
    })();
    return this.#stopping;
  }

  async #release(): Promise<void> {
    this.#trigger?.close();
    this.#reloader?.close();
    this.#discovery?.close();
    const steps: [string, (() => Promise<void>) | undefined][] = [
      ['manager and its passes', this.#manager ? () => this.#manager!.stop() : undefined],
      ['metrics server', this.#server ? () => this.#server!.close() : undefined],
      ['runtime', this.#handle ? () => this.#handle!.close() : undefined],
      ['lock', this.#lock ? () => this.#lock!.release() : undefined],
    ];
    for (const [what, step] of steps) {
      try {
        await step?.();
      } catch (err) {
        this.#log.error({ err }, `failed to stop the ${what}`);
      }
    }
    this.#unbind?.();
    this.#unbind = undefined;
  }

  /** Removes the lock synchronously (for a last-moment `process.on('exit')`). */
  releaseLockSync(): void {
    this.#lock?.releaseSync();
  }
}
