import type { Stats } from 'node:fs';
import { CrilogError, hasErrorCode } from '../errors/crilog-error.js';
import { errnoCode } from '../ports/file-system.js';
import { crashPoint } from '../rotation/crash-point.js';
import { CODEC_SUFFIX, TMP_SUFFIX } from '../rotation/naming.js';
import { listLogFiles, type LogFileSet } from '../rotation/log-files.js';
import { RotationError, rotateLive } from '../rotation/rotate-live.js';
import type { CompressionQueue } from './compression-queue.js';
import type { NormalizedOptions } from './options.js';
import type { ContainerReport, ManagerEvents } from './types.js';

/** Everything one container check needs; built once per manager. */
export interface CheckContext {
  options: NormalizedOptions;
  compressions: CompressionQueue;
  emit: <K extends keyof ManagerEvents>(event: K, ...args: ManagerEvents[K]) => void;
  /** Records a container's log path for `clean` after the container is gone. */
  remember: (id: string, logPath: string) => void;
  /** Compressions a check scheduled, so a pass can wait for them. */
  scheduled: Promise<unknown>[];
}

/**
 * One container, one step: make sure its live log exists, rotate it when it reached `maxSize`, and
 * otherwise tidy its history (leftovers, excess files, raw files whose compression failed earlier).
 */
export async function checkContainer(ctx: CheckContext, id: string): Promise<ContainerReport> {
  const { runtime, fs, maxSize } = ctx.options;
  let status;
  try {
    status = await runtime.containerStatus(id);
  } catch (error) {
    if (hasErrorCode(error, 'ERR_CONTAINER_NOT_FOUND')) return { id, action: 'skipped' };
    ctx.emit('runtime-error', { method: 'containerStatus', id, error: error as Error });
    return { id, action: 'failed', error: wrap(`failed to get the status of container "${id}"`, error) };
  }
  ctx.remember(id, status.logPath);
  if (status.state !== 'running') return { id, logPath: status.logPath, action: 'skipped' };
  const logPath = status.logPath;
  const report: ContainerReport = { id, logPath, action: 'none', limit: maxSize };
  try {
    let st = await lstatOrNull(ctx, logPath);
    if (!st) {
      // A live log can vanish when a rotation was interrupted after its rename: reopening recreates it.
      await reopen(ctx, id, logPath);
      report.action = 'reopened';
      st = await lstatOrNull(ctx, logPath);
      if (!st) throw new Error(`the runtime reopened the log but "${logPath}" still does not exist`);
    }
    if (!st.isFile()) {
      throw new CrilogError(
        'ERR_UNSAFE_PATH',
        `live log "${logPath}" is ${st.isSymbolicLink() ? 'a symlink' : 'not a regular file'}; crilog never rotates through it`,
      );
    }
    report.size = st.size;
    const set = await listLogFiles(logPath, fs);
    report.removed = await tidy(ctx, set, st, ctx.options.maxFiles - 1);
    if (maxSize >= 0 && st.size >= maxSize) {
      // Trim first so that, with the new live file the reopen creates, at most maxFiles files exist.
      report.removed.push(...(await trimOldest(ctx, set, ctx.options.maxFiles - 2)));
      crashPoint('after-trim');
      const started = performance.now();
      try {
        report.rotatedTo = await rotateLive({ ...ctx.options }, id, logPath, set.keys);
      } catch (error) {
        const reopenFailed = error instanceof RotationError && error.step === 'reopen';
        if (reopenFailed)
          ctx.emit('runtime-error', { method: 'reopenContainerLog', id, error: error.cause as Error });
        ctx.emit('rotation', {
          id,
          logPath,
          outcome: reopenFailed ? 'reopen_failed' : 'error',
          bytes: st.size,
          durationMs: performance.now() - started,
          error: error as Error,
        });
        throw error;
      }
      report.action = 'rotated';
      ctx.emit('rotation', {
        id,
        logPath,
        outcome: 'success',
        bytes: st.size,
        durationMs: performance.now() - started,
        rotatedTo: report.rotatedTo,
      });
      scheduleCompression(ctx, id, set, report, 0);
    } else {
      // The newest rotated file stays raw (readers may still be draining it); older raw ones are retried.
      scheduleCompression(ctx, id, set, report, 1);
    }
    return report;
  } catch (error) {
    return {
      ...report,
      action: 'failed',
      error: wrap(`failed to manage the log of container "${id}" at "${logPath}"`, error),
    };
  }
}

function scheduleCompression(
  ctx: CheckContext,
  id: string,
  set: LogFileSet,
  report: ContainerReport,
  keepRaw: number,
) {
  const removed = new Set(report.removed);
  const candidates = set.rotated.filter((r) => !removed.has(r.path));
  const raw = candidates.slice(0, candidates.length - keepRaw).filter((r) => r.codec === null);
  if (raw.length === 0) return;
  report.compressed = [];
  for (const r of raw) {
    const job = ctx.compressions.schedule(id, r.path).then((result) => {
      if (result) report.compressed!.push(result.target);
    });
    ctx.scheduled.push(job);
  }
}

/** Removes leftovers and files beyond `maxRotated`; returns the removed paths. */
async function tidy(ctx: CheckContext, set: LogFileSet, live: Stats, maxRotated: number): Promise<string[]> {
  const removed: string[] = [];
  for (const leftover of set.leftovers) {
    const raw = leftover.endsWith(TMP_SUFFIX) ? leftover.slice(0, -TMP_SUFFIX.length) : leftover;
    if (ctx.compressions.isBusy(raw)) continue;
    if (await removeFile(ctx, leftover)) removed.push(leftover);
  }
  // A raw rotated name that is the live inode is a rename-back that was interrupted after its link().
  for (const r of set.rotated.filter((r) => r.codec === null && r.ino === live.ino)) {
    if (await removeFile(ctx, r.path)) removed.push(r.path);
  }
  set.rotated = set.rotated.filter((r) => !removed.includes(r.path));
  removed.push(...(await trimOldest(ctx, set, maxRotated)));
  return removed;
}

/** Deletes the oldest rotated files until at most `keep` remain (mutates `set.rotated`). */
async function trimOldest(ctx: CheckContext, set: LogFileSet, keep: number): Promise<string[]> {
  const excess = set.rotated.slice(0, Math.max(0, set.rotated.length - Math.max(0, keep)));
  const removed: string[] = [];
  for (const file of excess) {
    const raw = file.codec === null ? file.path : file.path.slice(0, -CODEC_SUFFIX[file.codec].length);
    await ctx.compressions.cancel(raw);
    // A compression that finished just before the cancel left a .gz twin: it goes too.
    for (const p of new Set([file.path, raw, raw + CODEC_SUFFIX.gzip]))
      if (await removeFile(ctx, p)) removed.push(p);
  }
  set.rotated = set.rotated.slice(excess.length);
  return removed;
}

async function removeFile(ctx: CheckContext, file: string): Promise<boolean> {
  try {
    await ctx.options.fs.unlink(file);
    return true;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return false;
    throw wrap(`failed to remove "${file}"`, err);
  }
}

async function reopen(ctx: CheckContext, id: string, logPath: string): Promise<void> {
  try {
    await ctx.options.runtime.reopenContainerLog(id);
  } catch (error) {
    ctx.emit('runtime-error', { method: 'reopenContainerLog', id, error: error as Error });
    throw wrap(`live log "${logPath}" is missing and reopening it failed`, error);
  }
}

async function lstatOrNull(ctx: CheckContext, file: string): Promise<Stats | null> {
  try {
    return await ctx.options.fs.lstat(file);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw wrap(`failed to stat "${file}"`, err);
  }
}

function wrap(message: string, cause: unknown): Error {
  return cause instanceof CrilogError
    ? new CrilogError(cause.code, `${message}: ${cause.message}`, { cause })
    : new Error(`${message}: ${(cause as Error)?.message ?? cause}`, { cause });
}
