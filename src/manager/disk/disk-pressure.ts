import path from 'node:path';
import type { Clock } from '../../ports/clock.js';
import type { DiskStats, DiskStatsPort } from '../../ports/disk-stats.js';
import type { FileSystem } from '../../ports/file-system.js';
import type { ContainerState } from '../../ports/runtime-service.js';
import type { CompressionPolicy } from '../../policy/container-policy.js';
import type { KeyedMutex } from '../../util/limiter.js';
import type { CompressionQueue } from '../compression-queue.js';
import { HYSTERESIS, isOff, thresholdAmount, type FreeThreshold } from './free-threshold.js';
import { measureLogs, type MeasuredLog } from './measure-logs.js';
import { removeRotated } from '../remove-rotated.js';
import type { DiskPressureEvent, FilesystemReport } from '../types.js';

/** What the manager last learned about a container, enough to relieve disk pressure. */
export interface TrackedLog {
  logPath: string;
  state: ContainerState | undefined;
}

/** Thresholds of `DiskPressure`; changed by a live reload. */
export interface DiskPressureLimits {
  minFree: FreeThreshold;
  minFreeInodes: FreeThreshold;
}

/** What `DiskPressure` needs from the manager. */
export interface DiskPressureDeps {
  fs: FileSystem;
  disk: DiskStatsPort;
  clock: Clock;
  mutex: KeyedMutex;
  compressions: CompressionQueue;
  /** Containers the manager manages, by id. */
  logs(): ReadonlyMap<string, TrackedLog>;
  /** The node's compression (`none`: rotated files are never compressed, not even under pressure). */
  compression(): CompressionPolicy;
  minRotatedAgeMs(): number;
  /** Rotates a running container's non-empty live log now, whatever its size; the rotated path. */
  rotateEarly(id: string): Promise<string | undefined>;
  emit(event: DiskPressureEvent): void;
}

interface Filesystem {
  /** The path statfs is asked about: a log root, or the directory of a managed log. */
  path: string;
  ids: string[];
}

/**
 * Keeps the filesystems of the logs above a floor of free space and free inodes. Below `minFree` or
 * `minFreeInodes` it acts, in this order, until free space is back above the threshold plus the
 * hysteresis: compress every raw rotation at once; delete rotated files node-wide, the oldest file of
 * the container using the most bytes first; rotate live logs larger than the mean early (then compress
 * and delete again). It never deletes a live log, nor the newest rotation of a log whose reopen is
 * pending (the file the runtime may still write to). Each episode is reported by events; `minRotatedAge`
 * does not protect files here (the event counts how often it was overridden).
 */
export class DiskPressure {
  limits: DiskPressureLimits;
  #episode = 0;
  #inEpisode = new Set<string>();
  #running: Promise<DiskPressureEvent | null> | null = null;
  #last: FilesystemReport[] = [];
  /** Device of each root and of each managed live log's directory, by root or live log path. */
  readonly #devices = new Map<string, number>();

  constructor(
    limits: DiskPressureLimits,
    /** Directories whose filesystems are watched; `null`: those holding the managed logs. */
    private readonly roots: readonly string[] | null,
    private readonly deps: DiskPressureDeps,
  ) {
    this.limits = limits;
  }

  /** The filesystems as last measured. */
  get filesystems(): readonly FilesystemReport[] {
    return this.#last;
  }

  /** True when both thresholds are 0. */
  get off(): boolean {
    return isOff(this.limits.minFree) && isOff(this.limits.minFreeInodes);
  }

  /** Measures every filesystem and relieves those under pressure; concurrent calls share one run. */
  check(): Promise<DiskPressureEvent | null> {
    if (this.off) return Promise.resolve(null);
    this.#running ??= this.#check().finally(() => (this.#running = null));
    return this.#running;
  }

  async #check(): Promise<DiskPressureEvent | null> {
    const reports: FilesystemReport[] = [];
    let event: DiskPressureEvent | null = null;
    let grouped = false;
    for (let fsys of await this.#filesystems(false)) {
      const before = await this.deps.disk.statfs(fsys.path);
      const wasIn = this.#inEpisode.has(fsys.path);
      const report: FilesystemReport = { path: fsys.path, ...before, pressure: false };
      if (!this.#below(before, wasIn ? 1 + HYSTERESIS : 1)) {
        this.#inEpisode.delete(fsys.path);
        reports.push(report);
        continue;
      }
      if (!wasIn) {
        this.#inEpisode.add(fsys.path);
        this.#episode++;
      }
      event ??= {
        episode: this.#episode,
        first: false,
        filesystems: [],
        compressed: [],
        removed: [],
        rotated: [],
        minRotatedAgeOverridden: 0,
        relieved: true,
      };
      if (!wasIn) event.first = true;
      if (!grouped) {
        // Under pressure: now the logs on each filesystem are needed (rare; see `#filesystems`).
        grouped = true;
        fsys = (await this.#filesystems(true)).find((f) => f.path === fsys.path) ?? fsys;
      }
      const after = await this.#relieve(fsys, event);
      const still = this.#below(after, 1 + HYSTERESIS);
      if (!still) this.#inEpisode.delete(fsys.path);
      else event.relieved = false;
      const done: FilesystemReport = { path: fsys.path, ...after, pressure: still, before };
      reports.push(done);
      event.filesystems.push(done);
    }
    this.#last = reports;
    if (event) this.deps.emit(event);
    return event;
  }

  /** Below the threshold times `factor` (1: entering pressure; 1 + hysteresis: leaving it). */
  #below(s: DiskStats, factor: number): boolean {
    const { minFree, minFreeInodes } = this.limits;
    const bytes = !isOff(minFree) && s.bytesFree < thresholdAmount(minFree, s.bytesTotal) * factor;
    const inodes =
      !isOff(minFreeInodes) &&
      s.inodesTotal > 0 &&
      s.inodesFree < thresholdAmount(minFreeInodes, s.inodesTotal) * factor;
    return bytes || inodes;
  }

  /**
   * Groups the watched directories (or the managed logs' directories) by filesystem. Runs after every
   * quick pass. With roots, the filesystems are the roots' and the logs on each (`ids`) are only grouped
   * `withIds`, when one is under pressure: an idle node pays a lookup per root, nothing per container.
   * Without roots the logs' directories are the filesystems, so they are always grouped; a log whose
   * device is known costs no await and no allocation then.
   */
  async #filesystems(withIds: boolean): Promise<Filesystem[]> {
    const logs: ReadonlyMap<string, TrackedLog> =
      withIds || this.roots === null ? this.deps.logs() : new Map<string, TrackedLog>();
    const byDevice = new Map<number, Filesystem>();
    for (const root of this.roots ?? []) {
      try {
        const dev = this.#devices.get(root) ?? (await this.#device(root, root));
        if (!byDevice.has(dev)) byDevice.set(dev, { path: root, ids: [] });
      } catch {
        // A root that does not exist (yet) holds no logs to relieve.
      }
    }
    for (const [id, log] of logs) {
      let dev = this.#devices.get(log.logPath);
      if (dev === undefined) {
        try {
          dev = await this.#device(log.logPath, path.dirname(log.logPath));
        } catch {
          continue; // the container's directory is gone
        }
      }
      let fsys = byDevice.get(dev);
      if (!fsys) {
        if (this.roots !== null) continue; // outside every root: not crilog's to touch
        fsys = { path: path.dirname(log.logPath), ids: [] };
        byDevice.set(dev, fsys);
      }
      fsys.ids.push(id);
    }
    // Logs that are gone (a restart's new live log, a removed container) are forgotten.
    if (logs.size > 0 && this.#devices.size > logs.size + (this.roots?.length ?? 0)) {
      const live = new Set<string>(this.roots ?? []);
      for (const log of logs.values()) live.add(log.logPath);
      for (const key of this.#devices.keys()) if (!live.has(key)) this.#devices.delete(key);
    }
    return [...byDevice.values()];
  }

  /** The device of `dir`, remembered under `key` (a root, or a live log whose directory `dir` is). */
  async #device(key: string, dir: string): Promise<number> {
    const dev = await this.deps.disk.device(dir);
    this.#devices.set(key, dev);
    return dev;
  }

  async #relieve(fsys: Filesystem, event: DiskPressureEvent): Promise<DiskStats> {
    const stat = () => this.deps.disk.statfs(fsys.path);
    const relieved = async () => {
      const s = await stat();
      return { s, ok: !this.#below(s, 1 + HYSTERESIS) };
    };
    let r = await relieved();
    for (let round = 0; round < 2 && !r.ok; round++) {
      await this.#compressAll(fsys, event);
      r = await relieved();
      if (r.ok) break;
      r = await this.#deleteOldest(fsys, event, relieved);
      if (r.ok || round === 1) break;
      // Rotating moves a large live log into a rotated file that the next round can compress or delete.
      if (!(await this.#rotateLargest(fsys, event))) break;
    }
    return r.s;
  }

  async #compressAll(fsys: Filesystem, event: DiskPressureEvent): Promise<void> {
    const compression = this.deps.compression();
    if (compression.codec === 'none') return;
    const logs = await this.#measure(fsys);
    const now = this.deps.clock.now().getTime();
    const jobs: Promise<void>[] = [];
    for (const log of logs) {
      for (const file of log.deletable) {
        if (file.codec !== null) continue;
        if (now - file.mtimeMs < this.deps.minRotatedAgeMs()) event.minRotatedAgeOverridden++;
        jobs.push(
          this.deps.compressions
            .schedule(log.id, file.path, { codec: compression.codec, level: compression.level })
            .then((result) => {
              if (result) event.compressed.push(result.target);
            }),
        );
      }
    }
    await Promise.all(jobs);
  }

  async #deleteOldest(
    fsys: Filesystem,
    event: DiskPressureEvent,
    relieved: () => Promise<{ s: DiskStats; ok: boolean }>,
  ): Promise<{ s: DiskStats; ok: boolean }> {
    const logs = await this.#measure(fsys);
    const now = this.deps.clock.now().getTime();
    for (;;) {
      const victim = logs.filter((l) => l.deletable.length > 0).sort((a, b) => b.bytes - a.bytes)[0];
      if (!victim) return relieved(); // only live logs (and pending reopens) left: never deleted
      const oldest = victim.deletable.shift()!;
      if (now - oldest.mtimeMs < this.deps.minRotatedAgeMs()) event.minRotatedAgeOverridden++;
      await this.deps.mutex.run(victim.id, async () => {
        await this.deps.compressions.cancel(oldest.path);
        event.removed.push(...(await removeRotated(this.deps.fs, [oldest.path])));
      });
      victim.bytes -= oldest.size;
      const r = await relieved();
      if (r.ok) return r;
    }
  }

  /** Rotates running containers whose live log is larger than the mean live log; true if any was. */
  async #rotateLargest(fsys: Filesystem, event: DiskPressureEvent): Promise<boolean> {
    const logs = (await this.#measure(fsys)).filter((l) => l.state === 'running' && l.live > 0);
    if (logs.length === 0) return false;
    const fairShare = logs.reduce((n, l) => n + l.live, 0) / logs.length;
    // With one container (or equal ones) the mean is the log itself: rotate those at the mean too.
    const large = logs.filter((l) => l.live >= fairShare);
    let any = false;
    for (const log of large) {
      const rotated = await this.deps.rotateEarly(log.id);
      if (rotated) {
        event.rotated.push(rotated);
        any = true;
      }
    }
    return any;
  }

  #measure(fsys: Filesystem): Promise<MeasuredLog[]> {
    const logs = this.deps.logs();
    return measureLogs(
      fsys.ids.flatMap((id) => {
        const log = logs.get(id);
        return log ? [{ id, ...log }] : [];
      }),
      this.deps.fs,
    );
  }
}
