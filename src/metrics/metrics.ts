import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { hasErrorCode } from '../errors/crilog-error.js';
import type { ContainerLogManager } from '../manager/container-log-manager.js';
import type { ContainerReport, FilesystemReport, PassReport } from '../manager/types.js';

/** Options of `new CrilogMetrics()`. */
export interface CrilogMetricsOptions {
  /** Also export Node process metrics (CPU, RSS, event loop) as `crilog_process_*` / `crilog_nodejs_*`. Default true. */
  defaultMetrics?: boolean;
  /** Bytes in files under management, computed at scrape time. */
  bytesOnDisk?: () => Promise<number> | number;
}

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const RATIOS = [0.5, 1, 1.05, 1.1, 1.25, 1.5, 2, 3, 5, 10, 50];

/**
 * crilog's Prometheus metrics, in a registry of their own so that embedding crilog as a library never
 * collides with the host application's metrics. Names start with `crilog_`.
 */
export class CrilogMetrics {
  readonly registry = new Registry();
  readonly rotations: Counter<'outcome'>;
  readonly rotationDuration: Histogram;
  readonly rotatedSizeRatio: Histogram;
  readonly compressions: Counter<'outcome'>;
  readonly compressionDuration: Histogram;
  readonly compressionBytesIn: Counter;
  readonly compressionBytesOut: Counter;
  readonly runtimeErrors: Counter<'method'>;
  readonly runtimeUp: Gauge;
  readonly containersManaged: Gauge;
  readonly liveRatio: Gauge<'container'>;
  readonly liveRatioMax: Gauge;
  readonly bytesOnDisk: Gauge;
  readonly passes: Counter<'result' | 'kind'>;
  readonly passDuration: Histogram;
  readonly triggerChecks: Counter<'source'>;
  readonly watchedDirectories: Gauge;
  readonly polledContainers: Gauge;
  readonly budgetBytes: Gauge<'kind'>;
  readonly budgetRemovedFiles: Counter;
  readonly policyErrors: Counter;
  readonly policyClamped: Counter;
  readonly configReloads: Counter<'outcome'>;
  readonly removedFiles: Counter<'reason'>;
  readonly diskFreeBytes: Gauge<'root'>;
  readonly diskFreeInodes: Gauge<'root'>;
  readonly diskPressure: Gauge<'root'>;
  /** The filesystems of the bound manager, read at scrape time. */
  #filesystems: () => readonly FilesystemReport[] = () => [];
  #worst = 0;
  readonly #ratioLabels = new Set<string>();

  constructor(options: CrilogMetricsOptions = {}) {
    const registers = [this.registry];
    this.rotations = new Counter({
      name: 'crilog_rotations_total',
      help: 'Rotation attempts by outcome (success, reopen_failed, error).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['success', 'reopen_failed', 'error']) this.rotations.inc({ outcome }, 0);
    this.rotationDuration = new Histogram({
      name: 'crilog_rotation_duration_seconds',
      help: 'Time from the rename of a live log to the end of its reopen.',
      buckets: SECONDS,
      registers,
    });
    this.rotatedSizeRatio = new Histogram({
      name: 'crilog_rotated_size_ratio',
      help: 'Size of a live log when it was rotated, relative to its limit (1 = exactly at the limit).',
      buckets: RATIOS,
      registers,
    });
    this.compressions = new Counter({
      name: 'crilog_compressions_total',
      help: 'Compressions of rotated files by outcome.',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['success', 'error', 'skipped']) this.compressions.inc({ outcome }, 0);
    this.compressionDuration = new Histogram({
      name: 'crilog_compression_duration_seconds',
      help: 'Time to compress one rotated file.',
      buckets: SECONDS,
      registers,
    });
    this.compressionBytesIn = new Counter({
      name: 'crilog_compression_input_bytes_total',
      help: 'Bytes of rotated files before compression.',
      registers,
    });
    this.compressionBytesOut = new Counter({
      name: 'crilog_compression_output_bytes_total',
      help: 'Bytes of rotated files after compression.',
      registers,
    });
    this.runtimeErrors = new Counter({
      name: 'crilog_runtime_errors_total',
      help: 'Failed container runtime calls by method.',
      labelNames: ['method'],
      registers,
    });
    for (const method of ['listContainers', 'containerStatus', 'reopenContainerLog'])
      this.runtimeErrors.inc({ method }, 0);
    this.runtimeUp = new Gauge({
      name: 'crilog_runtime_up',
      help: '1 when the last attempt to list containers succeeded.',
      registers,
    });
    this.containersManaged = new Gauge({
      name: 'crilog_containers_managed',
      help: 'Running containers whose logs crilog manages (inside the log roots).',
      registers,
    });
    this.liveRatio = new Gauge({
      name: 'crilog_live_log_size_ratio',
      help: 'Last observed live log size relative to its limit, per container.',
      labelNames: ['container'],
      registers,
    });
    this.liveRatioMax = new Gauge({
      name: 'crilog_live_log_size_ratio_max',
      help: 'Largest live log size relative to its limit seen since start: the worst overshoot (above 1 = grew past the limit before rotation).',
      registers,
      collect: () => this.liveRatioMax.set(this.#worst),
    });
    const bytesOnDisk = options.bytesOnDisk;
    this.bytesOnDisk = new Gauge({
      name: 'crilog_log_bytes_on_disk',
      help: 'Bytes in live and rotated log files under management.',
      registers,
      ...(bytesOnDisk ? { collect: async () => this.bytesOnDisk.set(await bytesOnDisk()) } : {}),
    });
    this.budgetBytes = new Gauge({
      name: 'crilog_budget_bytes',
      help: 'The node log budget (kind="limit") and the bytes of managed logs it last measured (kind="used"); absent without --max-total-size.',
      labelNames: ['kind'],
      registers,
    });
    this.budgetRemovedFiles = new Counter({
      name: 'crilog_budget_removed_files_total',
      help: 'Rotated files deleted to bring the node under its log budget.',
      registers,
    });
    this.policyErrors = new Counter({
      name: 'crilog_policy_errors_total',
      help: 'Containers whose crilog.io/* annotations were rejected (node defaults applied for those keys); counted once per container.',
      registers,
    });
    this.policyClamped = new Counter({
      name: 'crilog_policy_clamped_total',
      help: "crilog.io/* annotation values beyond the operator's --policy-* bounds, by policy key; clamped to the bound or replaced by the node's value; counted once per container.",
      labelNames: ['key'],
      registers,
    });
    this.configReloads = new Counter({
      name: 'crilog_config_reload_total',
      help: 'Configuration reloads (SIGHUP or a change of the config file) by outcome: success (applied) or rejected (invalid, or changing a setting that cannot change live; the running configuration stayed).',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['success', 'rejected']) this.configReloads.inc({ outcome }, 0);
    this.removedFiles = new Counter({
      name: 'crilog_removed_files_total',
      help: 'Rotated files deleted by retention, by reason: max-files, max-age, budget, disk-pressure (compressed twins counted as files).',
      labelNames: ['reason'],
      registers,
    });
    for (const reason of ['max-files', 'max-age', 'budget', 'disk-pressure'])
      this.removedFiles.inc({ reason }, 0);
    const perRoot = (pick: (f: FilesystemReport) => number) => (gauge: Gauge<'root'>) => {
      gauge.reset();
      for (const f of this.#filesystems()) gauge.set({ root: f.path }, pick(f));
    };
    const freeBytes = perRoot((f) => f.bytesFree);
    this.diskFreeBytes = new Gauge({
      name: 'crilog_disk_free_bytes',
      help: 'Free bytes (available to unprivileged writers) of each filesystem holding log roots, as the last disk check measured them.',
      labelNames: ['root'],
      registers,
      collect: () => freeBytes(this.diskFreeBytes),
    });
    const freeInodes = perRoot((f) => f.inodesFree);
    this.diskFreeInodes = new Gauge({
      name: 'crilog_disk_free_inodes',
      help: 'Free inodes of each filesystem holding log roots, as the last disk check measured them.',
      labelNames: ['root'],
      registers,
      collect: () => freeInodes(this.diskFreeInodes),
    });
    const pressure = perRoot((f) => (f.pressure ? 1 : 0));
    this.diskPressure = new Gauge({
      name: 'crilog_disk_pressure',
      help: '1 while a filesystem holding log roots is below minFree or minFreeInodes (until back above them plus the hysteresis), else 0.',
      labelNames: ['root'],
      registers,
      collect: () => pressure(this.diskPressure),
    });
    this.passes = new Counter({
      name: 'crilog_passes_total',
      help: 'Periodic passes by kind (full: every container; quick: those whose directory changed) and result (error: containers could not be listed).',
      labelNames: ['result', 'kind'],
      registers,
    });
    this.passDuration = new Histogram({
      name: 'crilog_pass_duration_seconds',
      help: 'Duration of a full pass over all containers.',
      buckets: SECONDS,
      registers,
    });
    this.triggerChecks = new Counter({
      name: 'crilog_trigger_checks_total',
      help: 'Containers checked between passes because their log grew, by source (watch, poll).',
      labelNames: ['source'],
      registers,
    });
    this.watchedDirectories = new Gauge({
      name: 'crilog_watched_directories',
      help: 'Log directories watched for writes.',
      registers,
    });
    this.polledContainers = new Gauge({
      name: 'crilog_polled_containers',
      help: 'Containers checked on a schedule from their write rate because their directory cannot be watched.',
      registers,
    });
    if (options.defaultMetrics ?? true) {
      // A coarse event loop sampler: the default 10 ms one wakes the process 100 times a second.
      collectDefaultMetrics({
        register: this.registry,
        prefix: 'crilog_',
        eventLoopMonitoringPrecision: 100,
      });
    }
  }

  /** Records a live log size seen by a pass or a trigger. */
  observeLive(id: string, size: number, limit: number): void {
    if (!(limit > 0)) return;
    const ratio = size / limit;
    this.liveRatio.set({ container: id }, ratio);
    this.#ratioLabels.add(id);
    if (ratio > this.#worst) this.#worst = ratio;
  }

  /** Drops the per-container series of containers no longer managed. */
  retainContainers(ids: ReadonlySet<string>): void {
    for (const id of this.#ratioLabels) {
      if (!ids.has(id)) {
        this.liveRatio.remove({ container: id });
        this.#ratioLabels.delete(id);
      }
    }
  }

  /** The worst ratio seen since start. */
  get worstRatio(): number {
    return this.#worst;
  }

  /** Counts what the manager does; returns a function that stops listening. */
  bindManager(manager: ContainerLogManager): () => void {
    const onRotation: Parameters<typeof manager.on<'rotation'>>[1] = (e) => {
      // Read per event: a live reload may change the node's limit.
      const nodeLimit = manager.options.maxSize;
      this.rotations.inc({ outcome: e.outcome });
      this.rotationDuration.observe(e.durationMs / 1000);
      // A container's own crilog.io/max-size is its limit; the node's applies otherwise.
      const limit = e.limit ?? nodeLimit;
      if (limit > 0) {
        this.rotatedSizeRatio.observe(e.bytes / limit);
        this.observeLive(e.id, e.bytes, limit);
        if (e.outcome === 'success') this.observeLive(e.id, 0, limit);
      }
    };
    const onCompression: Parameters<typeof manager.on<'compression'>>[1] = (e) => {
      this.compressions.inc({ outcome: e.outcome });
      if (e.outcome === 'success') {
        this.compressionDuration.observe(e.durationMs / 1000);
        this.compressionBytesIn.inc(e.bytesIn);
        this.compressionBytesOut.inc(e.bytesOut);
      }
    };
    const onRuntimeError: Parameters<typeof manager.on<'runtime-error'>>[1] = (e) => {
      // A log outside the roots is crilog's refusal, not the runtime failing.
      if (!hasErrorCode(e.error, 'ERR_UNSAFE_PATH')) this.runtimeErrors.inc({ method: e.method });
    };
    const onPass = (report: PassReport) => this.observePass(report, 'full');
    const onBudget: Parameters<typeof manager.on<'budget'>>[1] = (e) => {
      this.budgetBytes.set({ kind: 'limit' }, e.limitBytes);
      this.budgetBytes.set({ kind: 'used' }, e.usedBytes);
      this.budgetRemovedFiles.inc(e.removed.length);
    };
    const onPolicyError = () => this.policyErrors.inc();
    const onRemoved: Parameters<typeof manager.on<'removed'>>[1] = (e) =>
      this.removedFiles.inc({ reason: e.reason }, e.paths.length);
    this.#filesystems = () => manager.filesystems;
    manager.on('removed', onRemoved);
    const onPolicyClamped: Parameters<typeof manager.on<'policy-clamped'>>[1] = (e) => {
      for (const c of e.clamped) this.policyClamped.inc({ key: c.key });
    };
    if (manager.usage.limitBytes !== null) this.budgetBytes.set({ kind: 'limit' }, manager.usage.limitBytes);
    manager.on('budget', onBudget);
    manager.on('policy-error', onPolicyError);
    manager.on('policy-clamped', onPolicyClamped);
    manager.on('rotation', onRotation);
    manager.on('compression', onCompression);
    manager.on('runtime-error', onRuntimeError);
    manager.on('pass', onPass);
    return () => {
      manager.off('rotation', onRotation);
      manager.off('compression', onCompression);
      manager.off('runtime-error', onRuntimeError);
      manager.off('pass', onPass);
      manager.off('budget', onBudget);
      manager.off('policy-error', onPolicyError);
      manager.off('policy-clamped', onPolicyClamped);
      manager.off('removed', onRemoved);
      this.#filesystems = () => [];
    };
  }

  /**
   * Updates the pass, runtime and per-container series from one pass report; reports in `unchanged`
   * (reused by a quick pass) keep their series as they are.
   */
  observePass(report: PassReport, kind: 'full' | 'quick', unchanged?: ReadonlySet<ContainerReport>): void {
    this.passes.inc({ result: report.error ? 'error' : 'ok', kind });
    this.passDuration.observe(report.durationMs / 1000);
    this.runtimeUp.set(report.error ? 0 : 1);
    if (report.error) return;
    const managed = new Set<string>();
    for (const c of report.containers) {
      if (c.logPath === undefined || c.limit === undefined || c.action === 'skipped') continue;
      managed.add(c.id);
      if (c.size !== undefined && !unchanged?.has(c))
        this.observeLive(c.id, c.action === 'rotated' ? 0 : c.size, c.limit);
    }
    this.containersManaged.set(managed.size);
    this.retainContainers(managed);
  }
}
