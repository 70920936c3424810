import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { hasErrorCode } from '../errors/crilog-error.js';
import type { ContainerLogManager } from '../manager/container-log-manager.js';
import type { ContainerReport, FilesystemReport, PassReport, RemovalReason } from '../manager/types.js';
import { isOff } from '../manager/disk/free-threshold.js';
import { CachedExposition } from './cached-exposition.js';
import { diskGauges } from './disk-gauges.js';
import { zeroLabels } from './label-values.js';
import { containerFamilies } from './container-families.js';
import { ContainerSeries, type IdentifyContainer } from './container-series.js';
import type { Metric } from './metric.js';
import type { SeriesFamily } from './series-family.js';
import { packageVersion } from './package-version.js';

/** A scrape's body: node-wide text rendered now, then the per-container part (cached between changes). */
export interface Exposition {
  contentType: string;
  chunks: [string, Buffer];
}

/** Options of `new CrilogMetrics()`. */
export interface CrilogMetricsOptions {
  /** Also export Node's process metrics (`process_*`, `nodejs_*`, the names dashboards expect). Default false. */
  defaultMetrics?: boolean;
  /** Bytes in files under management, computed at scrape time. */
  bytesOnDisk?: () => Promise<number> | number;
  /** Names of a container, for the `namespace`, `pod` and `container` labels. */
  identify?: IdentifyContainer;
  /** Export per-container series (off on nodes with very many containers). Default true. */
  perContainer?: boolean;
  /** For `crilog_build_info`; default: the package's version. */
  version?: string;
}

/** How often the event-loop lag (`nodejs_eventloop_lag_*`) is sampled, ms. */
const EVENT_LOOP_SAMPLE_MS = 10_000;

const SECONDS = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const RATIOS = [0.5, 1, 1.05, 1.1, 1.25, 1.5, 2, 3, 5, 10, 50];

/** Node's default metrics prom-client exports as gauges named like counters (`promtool` rejects them). */
const MISNAMED_DEFAULTS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
];

/**
 * crilog's Prometheus metrics, in a registry of their own so that embedding crilog as a library never
 * collides with the host application's metrics. crilog's own names start with `crilog_`; the optional
 * process metrics keep their standard names. HELP texts say exactly what is counted; docs/metrics.md is
 * generated from them (`npm run docs:metrics`).
 */
export class CrilogMetrics {
  /** Node-wide and process metrics; the per-container families are outside it (`exposition()` has all). */
  readonly registry = new Registry();
  readonly rotations: Counter<'outcome'>;
  readonly rotationDuration: Histogram;
  readonly rotatedSizeRatio: Histogram;
  readonly rotatedBytes: Counter;
  readonly compressions: Counter<'outcome'>;
  readonly compressionDuration: Histogram;
  readonly compressionBytesIn: Counter;
  readonly compressionBytesOut: Counter;
  readonly runtimeErrors: Counter<'method'>;
  readonly runtimeUp: Gauge;
  readonly containersManaged: Gauge;
  /** Per container: not in `registry` but rendered by crilog and cached (see `exposition()`). */
  readonly liveRatio: SeriesFamily;
  /** Per container: not in `registry` but rendered by crilog and cached (see `exposition()`). */
  readonly containerRotatedBytes: SeriesFamily;
  readonly liveRatioMax: Gauge;
  readonly liveRatioCurrentMax: Gauge;
  readonly bytesOnDisk: Gauge;
  readonly removedFiles: Counter<'reason'>;
  readonly budgetLimit: Gauge;
  readonly budgetUsed: Gauge;
  readonly passes: Counter<'result' | 'kind'>;
  readonly passDuration: Histogram<'kind'>;
  readonly lastSuccessfulPass: Gauge;
  readonly monitorInterval: Gauge;
  readonly triggerChecks: Counter<'source'>;
  readonly watchedDirectories: Gauge;
  readonly polledContainers: Gauge;
  readonly policyErrors: Counter;
  readonly policyClamped: Counter<'key'>;
  readonly configReloads: Counter<'outcome'>;
  readonly diskFreeBytes: Gauge<'root'>;
  readonly diskFreeInodes: Gauge<'root'>;
  readonly diskPressure: Gauge<'root'>;
  readonly buildInfo: Gauge<'version'>;
  readonly containers: ContainerSeries;
  readonly #perContainer: CachedExposition;
  /** The filesystems of the bound manager as its last disk check measured them, read at scrape time. */
  #filesystems: () => readonly FilesystemReport[] = () => [];
  /** The bound manager's budget, read at scrape time and after a reconfiguration. */
  #usage: (() => { usedBytes: number; limitBytes: number | null }) | undefined;
  #worst = 0;

  constructor(options: CrilogMetricsOptions = {}) {
    const registers = [this.registry];
    this.buildInfo = new Gauge({
      name: 'crilog_build_info',
      help: 'Always 1; the label version is the running crilog version.',
      labelNames: ['version'],
      registers,
    });
    this.buildInfo.set({ version: options.version ?? packageVersion() }, 1);
    this.rotations = new Counter({
      name: 'crilog_rotations_total',
      help: 'Rotation attempts of live logs, by outcome: success; reopen_failed (the runtime could not reopen the log, the rename was undone); error (another step failed).',
      labelNames: ['outcome'],
      registers,
    });
    this.rotationDuration = new Histogram({
      name: 'crilog_rotation_duration_seconds',
      help: 'Seconds from the rename of a live log to the end of the runtime reopening it, for every rotation attempt, failed ones included.',
      buckets: SECONDS,
      registers,
    });
    this.rotatedSizeRatio = new Histogram({
      name: 'crilog_rotated_size_ratio',
      help: "Size of a live log at each rotation attempt divided by that container's size limit (1 = exactly at the limit; above 1 = overshoot).",
      buckets: RATIOS,
      registers,
    });
    this.rotatedBytes = new Counter({
      name: 'crilog_rotated_bytes_total',
      help: 'Bytes of live logs moved aside by successful rotations (what containers wrote, as it was rotated).',
      registers,
    });
    this.compressions = new Counter({
      name: 'crilog_compressions_total',
      help: 'Compressions of rotated files, by outcome: success; error (the raw file stays and is retried next pass); skipped (the file was deleted before its compression finished).',
      labelNames: ['outcome'],
      registers,
    });
    this.compressionDuration = new Histogram({
      name: 'crilog_compression_duration_seconds',
      help: 'Seconds to compress one rotated file, successful compressions only.',
      buckets: SECONDS,
      registers,
    });
    this.compressionBytesIn = new Counter({
      name: 'crilog_compression_input_bytes_total',
      help: 'Bytes of rotated files read by successful compressions.',
      registers,
    });
    this.compressionBytesOut = new Counter({
      name: 'crilog_compression_output_bytes_total',
      help: 'Bytes written by successful compressions.',
      registers,
    });
    this.runtimeErrors = new Counter({
      name: 'crilog_runtime_errors_total',
      help: 'Failed calls to the container runtime, by CRI method; a container the runtime no longer knows and a log path refused for lying outside the log roots are not counted.',
      labelNames: ['method'],
      registers,
    });
    this.runtimeUp = new Gauge({
      name: 'crilog_runtime_up',
      help: '1 when the last attempt to list containers (or the start-up probe) succeeded, else 0.',
      registers,
    });
    this.containersManaged = new Gauge({
      name: 'crilog_containers_managed',
      help: 'Containers whose log the last successful pass managed (inside the log roots, not skipped); a quick pass counts running containers only.',
      registers,
    });
    // Thousands of series that rarely change: prom-client would format them all at every scrape.
    const families = containerFamilies();
    this.liveRatio = families.liveRatio;
    this.containerRotatedBytes = families.rotatedBytes;
    this.#perContainer = new CachedExposition([this.liveRatio, this.containerRotatedBytes]);
    this.containers = new ContainerSeries(families, options.identify, options.perContainer ?? true);
    this.liveRatioCurrentMax = new Gauge({
      name: 'crilog_live_log_size_ratio_current_max',
      help: 'Largest current live log size divided by its limit over all running managed containers (the worst one right now, 0 with none); exported whether or not per-container series are.',
      registers,
      collect: () => this.liveRatioCurrentMax.set(this.containers.currentMax),
    });
    this.liveRatioMax = new Gauge({
      name: 'crilog_live_log_size_ratio_max',
      help: 'Largest live log size divided by its limit observed since the daemon started, rotation attempts included; never decreases (above 1 = a log grew past its limit before rotation).',
      registers,
      collect: () => this.liveRatioMax.set(this.#worst),
    });
    const bytesOnDisk = options.bytesOnDisk;
    this.bytesOnDisk = new Gauge({
      name: 'crilog_log_bytes_on_disk',
      help: 'Bytes of the live and rotated log files of the containers the last pass managed, computed at scrape time.',
      registers,
      ...(bytesOnDisk ? { collect: async () => this.bytesOnDisk.set(await bytesOnDisk()) } : {}),
    });
    this.removedFiles = new Counter({
      name: 'crilog_removed_files_total',
      help: 'Rotated files deleted by retention, by reason: max-files (over the count limit), max-age, budget (node log budget), disk-pressure (below minFree/minFreeInodes); a raw file and its compressed twin count as two. Leftovers of interrupted steps are not counted.',
      labelNames: ['reason'],
      registers,
    });
    // Registered by bindManager() only when the manager has a budget: without one there is no limit.
    this.budgetLimit = new Gauge({
      name: 'crilog_budget_limit_bytes',
      help: 'The node log budget (--max-total-size) in bytes; absent without a budget.',
      registers: [],
    });
    this.budgetUsed = new Gauge({
      name: 'crilog_budget_used_bytes',
      help: 'Bytes of all managed logs (live and rotated) as the node budget last measured them; absent without a budget.',
      registers: [],
      collect: () => {
        const usage = this.#usage?.();
        if (usage) this.budgetUsed.set(usage.usedBytes);
      },
    });
    this.policyErrors = new Counter({
      name: 'crilog_policy_errors_total',
      help: 'Containers whose crilog.io/* annotations were rejected (node defaults applied for those keys); each container counted once.',
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
      help: "Configuration reload attempts (SIGHUP, or the config file's content changing), by outcome: success (applied; also when nothing changed); rejected (invalid, or changing a setting that needs a restart; the running configuration stays).",
      labelNames: ['outcome'],
      registers,
    });
    ({
      freeBytes: this.diskFreeBytes,
      freeInodes: this.diskFreeInodes,
      pressure: this.diskPressure,
    } = diskGauges(registers, () => this.#filesystems()));
    this.passes = new Counter({
      name: 'crilog_passes_total',
      help: 'Passes, by kind (full: every container; quick: those whose log directory changed) and result (error: containers could not be listed).',
      labelNames: ['result', 'kind'],
      registers,
    });
    this.passDuration = new Histogram({
      name: 'crilog_pass_duration_seconds',
      help: 'Seconds each pass took, by kind (full, quick), failed ones included.',
      labelNames: ['kind'],
      buckets: SECONDS,
      registers,
    });
    this.lastSuccessfulPass = new Gauge({
      name: 'crilog_last_successful_pass_timestamp_seconds',
      help: 'Unix time at which the last pass (full or quick) that could list containers ended; 0 before the first.',
      registers,
    });
    // Registered by setMonitorInterval(): without passes (rotation off) there is no interval to miss.
    this.monitorInterval = new Gauge({
      name: 'crilog_monitor_interval_seconds',
      help: 'Configured seconds between passes (--monitor-interval); absent when rotation is off.',
      registers: [],
    });
    this.triggerChecks = new Counter({
      name: 'crilog_trigger_checks_total',
      help: 'Containers checked between passes because their live log reached its limit, by how it was found: watch (inotify event) or poll (rate-based schedule of an unwatchable directory).',
      labelNames: ['source'],
      registers,
    });
    this.watchedDirectories = new Gauge({
      name: 'crilog_watched_directories',
      help: 'Log directories watched for writes with inotify, as of the last pass.',
      registers,
    });
    this.polledContainers = new Gauge({
      name: 'crilog_polled_containers',
      help: 'Containers whose directory cannot be watched (inotify limits, filesystems without events) and that are polled instead, as of the last pass.',
      registers,
    });
    zeroLabels(this.registry);
    if (options.defaultMetrics ?? false) {
      // Each sample of the event-loop lag wakes the process, and each wake-up of an idle Node process
      // costs about 1 ms of CPU: at the default 10 ms that is most of a core's worth of nothing, at one a
      // second still 0.1% of a core, a third of an idle daemon's budget. One every 10 s, with the passes.
      collectDefaultMetrics({
        register: this.registry,
        eventLoopMonitoringPrecision: EVENT_LOOP_SAMPLE_MS,
      });
      // Each has a correctly named twin without `_total` (`nodejs_active_handles`, ...).
      for (const name of MISNAMED_DEFAULTS) this.registry.removeSingleMetric(name);
    }
  }

  /** Every crilog metric, including those registered only when they apply (budget, pass interval). */
  get crilogMetrics(): readonly Metric[] {
    const registered = this.registry.getMetricsAsArray() as unknown as Metric[];
    const extra = [this.budgetLimit, this.budgetUsed, this.monitorInterval] as unknown as Metric[];
    const all = [...registered, ...extra.filter((m) => !registered.includes(m))];
    return [...all.filter((m) => m.name.startsWith('crilog_')), this.liveRatio, this.containerRotatedBytes];
  }

  /**
   * What `/metrics` serves: the registry (node-wide and process metrics, small, rendered fresh) and
   * the per-container families after it, as the Buffer of the last scrape unless they changed since.
   */
  async exposition(): Promise<Exposition> {
    const nodeWide = await this.registry.metrics();
    return { contentType: this.registry.contentType, chunks: [nodeWide, this.#perContainer.body()] };
  }

  /** The whole exposition as one string, as a scrape sees it. */
  async text(): Promise<string> {
    const { chunks } = await this.exposition();
    return chunks[0] + chunks[1].toString('utf8');
  }

  /** Adds a metric created with `registers: []` to the registry, or takes it out again, idempotently. */
  #export(metric: Gauge, on: boolean): void {
    const { name } = metric as unknown as { name: string };
    const registered = this.registry.getSingleMetric(name) !== undefined;
    if (on && !registered) this.registry.registerMetric(metric);
    if (!on && registered) this.registry.removeSingleMetric(name);
  }

  /** Exports the pass interval, or (`null`: rotation is off, no passes run) takes it out. */
  setMonitorInterval(ms: number | null): void {
    this.#export(this.monitorInterval, ms !== null);
    if (ms !== null) this.monitorInterval.set(ms / 1000);
  }

  /**
   * Follows the bound manager's options after a live reconfiguration: the budget series appear,
   * change or disappear with the budget.
   */
  syncBudget(): void {
    const limit = this.#usage?.().limitBytes ?? null;
    this.#export(this.budgetLimit, limit !== null);
    this.#export(this.budgetUsed, limit !== null);
    if (limit !== null) this.budgetLimit.set(limit);
  }

  /** Counts rotated files deleted for `reason`. */
  countRemoved(reason: RemovalReason, files: number): void {
    this.removedFiles.inc({ reason }, files);
  }

  /** Records a live log size seen by a pass or a trigger. */
  observeLive(id: string, size: number, limit: number): void {
    if (!(limit > 0)) return;
    const ratio = size / limit;
    this.containers.observeRatio(id, ratio);
    if (ratio > this.#worst) this.#worst = ratio;
  }

  /** Drops the per-container series of containers no longer managed. */
  retainContainers(ids: ReadonlySet<string>): void {
    this.containers.retain(ids);
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
      if (e.outcome === 'success') {
        this.rotatedBytes.inc(e.bytes);
        this.containers.rotated(e.id, e.bytes);
      }
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
    const onQuickPass: Parameters<typeof manager.on<'quick-pass'>>[1] = (e) =>
      this.observePass(e.report, 'quick', e.reused, e.unchanged);
    const onPolicyError = () => this.policyErrors.inc();
    // Every deletion by retention, budget and disk pressure included, arrives here once.
    const onRemoved: Parameters<typeof manager.on<'removed'>>[1] = (e) =>
      this.countRemoved(e.reason, e.paths.length);
    const onPolicyClamped: Parameters<typeof manager.on<'policy-clamped'>>[1] = (e) => {
      for (const c of e.clamped) this.policyClamped.inc({ key: c.key });
    };
    // A reload may switch disk checks off; their last measurement would then be stale forever.
    this.#filesystems = () =>
      isOff(manager.options.minFree) && isOff(manager.options.minFreeInodes) ? [] : manager.filesystems;
    this.#usage = () => manager.usage;
    this.syncBudget();
    manager.on('removed', onRemoved);
    manager.on('policy-error', onPolicyError);
    manager.on('policy-clamped', onPolicyClamped);
    manager.on('rotation', onRotation);
    manager.on('compression', onCompression);
    manager.on('runtime-error', onRuntimeError);
    manager.on('pass', onPass);
    manager.on('quick-pass', onQuickPass);
    return () => {
      manager.off('quick-pass', onQuickPass);
      manager.off('rotation', onRotation);
      manager.off('compression', onCompression);
      manager.off('runtime-error', onRuntimeError);
      manager.off('pass', onPass);
      manager.off('policy-error', onPolicyError);
      manager.off('policy-clamped', onPolicyClamped);
      manager.off('removed', onRemoved);
      this.#filesystems = () => [];
      this.#usage = undefined;
    };
  }

  /**
   * Updates the pass, runtime and per-container series from one pass report; reports in `unchanged`
   * (reused by a quick pass) keep their series as they are.
   */
  observePass(
    report: PassReport,
    kind: 'full' | 'quick',
    unchanged?: ReadonlySet<ContainerReport>,
    /** Same containers and reports as the pass before: the per-container series stay as they are. */
    allUnchanged = false,
  ): void {
    this.passes.inc({ result: report.error ? 'error' : 'ok', kind });
    this.passDuration.observe({ kind }, report.durationMs / 1000);
    this.runtimeUp.set(report.error ? 0 : 1);
    if (report.error) return;
    this.lastSuccessfulPass.set(Date.now() / 1000);
    if (allUnchanged) return;
    const managed = new Set<string>();
    for (const c of report.containers) {
      if (c.logPath === undefined || c.limit === undefined || c.action === 'skipped') continue;
      managed.add(c.id);
      // A stopped container's log is never rotated, so its size against the limit says nothing.
      if (c.state !== undefined && c.state !== 'running') this.containers.dropRatio(c.id);
      else if (c.size !== undefined && !unchanged?.has(c))
        this.observeLive(c.id, c.action === 'rotated' ? 0 : c.size, c.limit);
    }
    this.containersManaged.set(managed.size);
    this.retainContainers(managed);
  }
}
