import { compressFile, type CompressResult } from '../rotation/compress.js';
import type { FileSystem } from '../ports/file-system.js';
import type { CodecName } from '../rotation/naming.js';
import type { CompressionPool } from '../codecs/worker/compression-pool.js';
import type { Limiter } from '../util/limiter.js';
import type { CompressionEvent } from './types.js';

interface Job {
  controller: AbortController;
  promise: Promise<CompressResult | undefined>;
  /** Set once the job holds a compression slot; before that, cancelling needs no waiting. */
  started: boolean;
  /** Set when the final rename is issued: only from then on can the compressed file still appear. */
  committing: boolean;
  id: string;
}

/**
 * Compressions run apart from rotations, so a fast writer's rename and reopen never wait behind gzip.
 * Rotation asks `cancel()` before deleting a file that may be under compression, which keeps the file
 * count bound: a finished compression can never resurrect a file that trimming removed.
 */
export class CompressionQueue {
  readonly #jobs = new Map<string, Job>();

  constructor(
    private readonly limiter: Limiter,
    private readonly deps: {
      fs: FileSystem;
      emit: (event: CompressionEvent) => void;
      pool?: CompressionPool;
    },
  ) {}

  /** Compresses `raw` unless it already is queued; resolves `undefined` when cancelled or failed. */
  schedule(
    id: string,
    raw: string,
    compression: { codec: CodecName; level: number },
  ): Promise<CompressResult | undefined> {
    const existing = this.#jobs.get(raw);
    if (existing) return existing.promise;
    const controller = new AbortController();
    const job: Job = {
      id,
      controller,
      promise: Promise.resolve(undefined),
      started: false,
      committing: false,
    };
    job.promise = this.limiter
      .run(async () => {
        if (controller.signal.aborted) return undefined;
        job.started = true;
        const started = performance.now();
        try {
          const result = await compressFile(raw, {
            fs: this.deps.fs,
            ...compression,
            signal: controller.signal,
            onCommit: () => (job.committing = true),
            ...(this.deps.pool ? { pool: this.deps.pool } : {}),
          });
          this.deps.emit({
            id,
            path: raw,
            outcome: 'success',
            bytesIn: result.bytesIn,
            bytesOut: result.bytesOut,
            durationMs: performance.now() - started,
          });
          return result;
        } catch (error) {
          if (controller.signal.aborted) return undefined;
          this.deps.emit({
            id,
            path: raw,
            outcome: 'error',
            bytesIn: 0,
            bytesOut: 0,
            durationMs: performance.now() - started,
            error: error as Error,
          });
          return undefined;
        }
      })
      .finally(() => {
        if (this.#jobs.get(raw) === job) this.#jobs.delete(raw);
      });
    this.#jobs.set(raw, job);
    return job.promise;
  }

  /** True while `raw` is queued or being compressed. */
  isBusy(raw: string): boolean {
    return this.#jobs.has(raw);
  }

  /**
   * Stops the compression of `raw` so that no compressed twin of it can appear afterwards. With `wait`
   * (the default) it also waits until the job has settled and removed its `.tmp`. Without, it returns
   * at once unless the job already issued its final rename: the rotation path uses that, so a fast
   * writer's rename never waits for a compression thread to notice the abort (the job still cleans up
   * its `.tmp` on its own, and `isBusy` keeps a pass from racing it).
   */
  async cancel(raw: string, { wait = true }: { wait?: boolean } = {}): Promise<void> {
    const job = this.#jobs.get(raw);
    if (!job) return;
    if (!job.controller.signal.aborted) {
      job.controller.abort();
      const skipped = {
        id: job.id,
        path: raw,
        outcome: 'skipped',
        bytesIn: 0,
        bytesOut: 0,
        durationMs: 0,
      } as const;
      this.deps.emit(skipped);
    }
    if (!job.started) {
      // Still waiting for a slot: once aborted it can never touch the file, so a rotation that wants to
      // delete it need not wait behind a backlog of other compressions.
      this.#jobs.delete(raw);
      return;
    }
    if (wait || job.committing) await job.promise;
  }

  /** Cancels every job whose file starts with `prefix` (one container's logs). */
  async cancelPrefix(prefix: string): Promise<void> {
    await Promise.all([...this.#jobs.keys()].filter((k) => k.startsWith(prefix)).map((k) => this.cancel(k)));
  }

  /** Waits for every queued compression; with `abort`, cancels them instead (they are redone next pass). */
  async drain(abort = false): Promise<void> {
    const jobs = [...this.#jobs.values()];
    if (abort) for (const job of jobs) job.controller.abort();
    await Promise.all(jobs.map((j) => j.promise));
  }
}
