import type { Stats } from 'node:fs';
import { CrilogError, hasErrorCode } from '../errors/crilog-error.js';
import { errnoCode } from '../ports/file-system.js';
import type { ContainerStatus } from '../ports/runtime-service.js';
import type { RotationPolicy } from '../policy/container-policy.js';
import { crashPoint } from '../rotation/crash-point.js';
import { TMP_SUFFIX } from '../rotation/naming.js';
import { listLogFiles, type LogFileSet, type RotatedFile } from '../rotation/log-files.js';
import { firstRecordMs } from '../rotation/write-order.js';
import { RotationError, rotateLive } from '../rotation/rotate-live.js';
import type { CompressionQueue } from './compression-queue.js';
import type { NormalizedOptions } from './options.js';
import { removeRotated } from './remove-rotated.js';
import { trimExcess } from './trim-excess.js';
import type { ContainerReport, ManagerEvents, RemovalReason, RotationReason } from './types.js';

/** Everything one container check needs; built once per pass or trigger. */
export interface CheckContext {
  options: NormalizedOptions;
  compressions: CompressionQueue;
  emit: <K extends keyof ManagerEvents>(event: K, ...args: ManagerEvents[K]) => void;
  /** The policy for this container (node policy plus its annotations). */
  policyFor: (status: ContainerStatus) => RotationPolicy;
  /** Records what a container's logs use on disk, for `clean` after removal and for the node budget. */
  record: (id: string, logPath: string, bytes?: number) => void;
  /** Compressions a check scheduled, so a pass can wait for them. */
  scheduled: Promise<unknown>[];
  /** The last rotation attempt of each container, for the storm guards; owned by the manager. */
  rotations: Map<string, RotationMemo>;
}

/** What a container's last rotation attempt left behind. */
export interface RotationMemo {
  /** Clock time of the attempt, ms. */
  atMs: number;
  /** Inode, birth time and size of the live log that was rotated (inode numbers are reused). */
  ino: number;
  birthtimeMs: number;
  size: number;
}

/** Why a live log at or over its limit is not rotated now; `null` when it may be. */
export function stormGuard(
  ctx: Pick<CheckContext, 'options' | 'rotations'>,
  id: string,
  live: { ino: number; birthtimeMs: number; size: number },
): { reason: string; retryInMs?: number } | null {
  // An empty log holds nothing to rotate: with a limit of 0 rotating it would only make another empty one.
  if (live.size === 0) return { reason: 'empty' };
  const last = ctx.rotations.get(id);
  if (!last) return null;
  // The very file rotated last time, not written since (a rename undone after a failed reopen).
  if (live.ino === last.ino && live.birthtimeMs === last.birthtimeMs && live.size <= last.size)
    return { reason: 'not grown since its last rotation' };
  const elapsed = ctx.options.clock.now().getTime() - last.atMs;
  const wait = ctx.options.minRotationIntervalMs - elapsed;
  // A clock that went backwards (elapsed < 0) must not hold rotation off for that long.
  if (elapsed >= 0 && wait > 0) return { reason: 'rotation rate limit', retryInMs: wait };
  return null;
}

/**
 * One container, one step. Running: make sure the live log exists, rotate it when it reached its
 * limit, tidy its history. Stopped: tidy, trim and compress its rotated files (the kubelet never
 * does), leaving the live log alone until `clean`.
 */
export async function checkContainer(
  ctx: CheckContext,
  id: string,
  { force = false }: { force?: boolean } = {},
): Promise<ContainerReport> {
  let status;
  try {
    status = await ctx.options.runtime.containerStatus(id);
  } catch (error) {
    if (hasErrorCode(error, 'ERR_CONTAINER_NOT_FOUND')) return { id, action: 'skipped' };
    ctx.emit('runtime-error', { method: 'containerStatus', id, error: error as Error });
    return { id, action: 'failed', error: wrap(`failed to get the status of container "${id}"`, error) };
  }
  const { logPath } = status;
  ctx.record(id, logPath);
  const policy = ctx.policyFor(status);
  const running = status.state === 'running';
  const report: ContainerReport = { id, logPath, state: status.state, action: 'none', limit: policy.maxSize };
  if (policy.maxAgeMs !== null || (policy.maxIntervalMs ?? null) !== null || ctx.options.minRotatedAgeMs > 0)
    report.timeBound = true;
  try {
    let st = await lstatOrNull(ctx, logPath);
    if (!st && running) {
      // A live log can vanish when a rotation was interrupted after its rename: reopening recreates it.
      await reopen(ctx, id, logPath);
      report.action = 'reopened';
      st = await lstatOrNull(ctx, logPath);
      if (!st) throw new Error(`the runtime reopened the log but "${logPath}" still does not exist`);
    }
    if (st && !st.isFile()) {
      throw new CrilogError(
        'ERR_UNSAFE_PATH',
        `live log "${logPath}" is ${st.isSymbolicLink() ? 'a symlink' : 'not a regular file'}; crilog never rotates through it`,
      );
    }
    report.size = st?.size ?? 0;
    // Only the rotations that can be kept are stat'ed; older names are removed in bounded batches.
    // With a grace period (minRotatedAge) files beyond maxFiles may have to stay, so all are stat'ed.
    const set = await listLogFiles(
      logPath,
      ctx.options.fs,
      ctx.options.minRotatedAgeMs > 0 ? {} : { measure: policy.maxFiles },
    );
    report.removed = await tidy(ctx, id, set, st, policy);
    const reason =
      st && running && policy.maxSize >= 0 ? await rotationDue(ctx, st, set, policy, force) : null;
    const held = st && reason ? stormGuard(ctx, id, st) : null;
    if (held?.retryInMs !== undefined) report.retryInMs = held.retryInMs;
    if (st && reason && !held) {
      // Trim first so that, with the new live file the reopen creates, at most maxFiles files exist.
      report.removed.push(...(await trimOldest(ctx, id, set, policy.maxFiles - 2)));
      crashPoint('after-trim');
      // Failed attempts count too: a runtime that cannot reopen is not asked again at every write.
      ctx.rotations.set(id, {
        atMs: ctx.options.clock.now().getTime(),
        ino: st.ino,
        birthtimeMs: st.birthtimeMs,
        size: st.size,
      });
      report.rotatedTo = await rotate(ctx, id, logPath, set, st.size, policy.maxSize, reason);
      report.action = 'rotated';
      report.reason = reason;
    }
    scheduleCompression(ctx, id, set, report, policy, running);
    ctx.record(id, logPath, report.size + set.rotated.reduce((sum, r) => sum + r.size, 0));
    return report;
  } catch (error) {
    return {
      ...report,
      action: 'failed',
      error: wrap(`failed to manage the log of container "${id}" at "${logPath}"`, error),
    };
  }
}

async function rotate(
  ctx: CheckContext,
  id: string,
  logPath: string,
  set: LogFileSet,
  bytes: number,
  limit: number,
  reason: RotationReason,
): Promise<string> {
  const started = performance.now();
  try {
    const rotatedTo = await rotateLive(ctx.options, id, logPath, set.keys);
    ctx.emit('rotation', {
      id,
      logPath,
      outcome: 'success',
      bytes,
      limit,
      durationMs: performance.now() - started,
      rotatedTo,
      reason,
    });
    return rotatedTo;
  } catch (error) {
    const reopenFailed = error instanceof RotationError && error.step === 'reopen';
    if (reopenFailed)
      ctx.emit('runtime-error', { method: 'reopenContainerLog', id, error: error.cause as Error });
    ctx.emit('rotation', {
      id,
      logPath,
      outcome: reopenFailed ? 'reopen_failed' : 'error',
      bytes,
      limit,
      durationMs: performance.now() - started,
      reason,
      error: error as Error,
    });
    throw error;
  }
}

/**
 * Queues compression of raw rotated files. While a container runs, the newest rotation stays raw with
 * `delayCompress` (a reader or shipper may still be draining it); a stopped container has no such file.
 */
function scheduleCompression(
  ctx: CheckContext,
  id: string,
  set: LogFileSet,
  report: ContainerReport,
  policy: RotationPolicy,
  running: boolean,
) {
  const { compression } = policy;
  if (compression.codec === 'none') return;
  const history: Pick<RotatedFile, 'path' | 'codec' | 'mtimeMs'>[] = [...set.rotated];
  // Just renamed: as young as a rotated file gets.
  if (report.rotatedTo) history.push({ path: report.rotatedTo, codec: null, mtimeMs: Infinity });
  // In state `unknown` the process may live on (no reopen is tried), writing to the rotated name an
  // interrupted rotation left: compressing that newest file would drop whatever it writes next.
  const keepRaw = report.state === 'unknown' || (running && policy.delayCompress) ? 1 : 0;
  const young = isYoung(ctx);
  const raw = history.slice(0, history.length - keepRaw).filter((r) => r.codec === null && !young(r));
  if (raw.length === 0) return;
  report.compressed = [];
  for (const r of raw) {
    const job = ctx.compressions
      .schedule(id, r.path, { codec: compression.codec, level: compression.level })
      .then((result) => {
        if (result) report.compressed!.push(result.target);
      });
    ctx.scheduled.push(job);
  }
}

/**
 * Whether a rotated file is still within the shippers' grace period (`minRotatedAge`): then count, age
 * and budget rules leave it alone, and it is not compressed yet.
 */
export function isYoung(ctx: { options: NormalizedOptions }): (file: { mtimeMs: number }) => boolean {
  const grace = ctx.options.minRotatedAgeMs;
  if (grace <= 0) return () => false;
  const now = ctx.options.clock.now().getTime();
  return (file) => now - file.mtimeMs < grace;
}

/**
 * Why the live log should be rotated now, or null: it reached its size limit; it holds records older
 * than `maxInterval` (its first record's time, else its creation); or disk pressure forces it.
 */
async function rotationDue(
  ctx: CheckContext,
  st: Stats,
  set: LogFileSet,
  policy: RotationPolicy,
  force: boolean,
): Promise<RotationReason | null> {
  if (st.size >= policy.maxSize) return 'size';
  if (st.size === 0) return null;
  if (force) return 'disk-pressure';
  const interval = policy.maxIntervalMs ?? null;
  if (interval === null) return null;
  const live = {
    path: set.live,
    codec: null,
    size: st.size,
    mtimeMs: st.mtimeMs,
    ino: st.ino,
    stamp: '',
    seq: 0,
  };
  // The first record says when this file's content began; without one (not CRI), its creation does.
  const began = (await firstRecordMs(live, ctx.options.fs)) ?? (st.birthtimeMs > 0 ? st.birthtimeMs : null);
  if (began === null) return null;
  return ctx.options.clock.now().getTime() - began >= interval ? 'interval' : null;
}

/** Removes leftovers, files past `maxAge` and files beyond the count limit; returns removed paths. */
async function tidy(
  ctx: CheckContext,
  id: string,
  set: LogFileSet,
  live: Stats | null,
  policy: RotationPolicy,
): Promise<string[]> {
  const { fs } = ctx.options;
  const removed = await trimExcess(fs, ctx.compressions, set.excess);
  for (const leftover of set.leftovers) {
    const raw = leftover.endsWith(TMP_SUFFIX) ? leftover.slice(0, -TMP_SUFFIX.length) : leftover;
    if (ctx.compressions.isBusy(raw)) continue;
    removed.push(...(await removeRotated(fs, [leftover], { twins: false })));
  }
  // A raw rotated name that is the live inode is a rename-back that was interrupted after its link().
  const twins = live ? set.rotated.filter((r) => r.codec === null && r.ino === live.ino) : [];
  const cutoff = policy.maxAgeMs === null ? -Infinity : ctx.options.clock.now().getTime() - policy.maxAgeMs;
  const young = isYoung(ctx);
  const expired = set.rotated.filter((r) => r.mtimeMs < cutoff && !young(r));
  for (const r of twins) {
    await ctx.compressions.cancel(r.path);
    removed.push(...(await removeRotated(fs, [r.path])));
  }
  const aged: string[] = [];
  for (const r of expired) {
    await ctx.compressions.cancel(r.path);
    aged.push(...(await removeRotated(fs, [r.path])));
  }
  reportRemoval(ctx, id, 'max-age', aged);
  removed.push(...aged);
  const gone = new Set([...twins, ...expired]);
  set.rotated = set.rotated.filter((r) => !gone.has(r));
  removed.push(...(await trimOldest(ctx, id, set, policy.maxFiles - 1)));
  return removed;
}

/**
 * Deletes the oldest rotated files until at most `keep` remain (mutates `set.rotated`). Files within
 * the `minRotatedAge` grace period are skipped, so more may remain for that long.
 */
async function trimOldest(ctx: CheckContext, id: string, set: LogFileSet, keep: number): Promise<string[]> {
  const count = Math.max(0, set.rotated.length - Math.max(0, keep));
  const young = isYoung(ctx);
  const excess = set.rotated.filter((r) => !young(r)).slice(0, count);
  const removed: string[] = [];
  for (const file of excess) {
    await ctx.compressions.cancel(file.path, { wait: false });
    removed.push(...(await removeRotated(ctx.options.fs, [file.path])));
  }
  const gone = new Set(excess);
  set.rotated = set.rotated.filter((r) => !gone.has(r));
  reportRemoval(ctx, id, 'max-files', removed);
  return removed;
}

function reportRemoval(ctx: CheckContext, id: string, reason: RemovalReason, paths: string[]): void {
  if (paths.length > 0) ctx.emit('removed', { id, reason, paths });
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
  const text = `${message}: ${(cause as Error)?.message ?? String(cause)}`;
  return cause instanceof CrilogError
    ? new CrilogError(cause.code, text, { cause })
    : new Error(text, { cause });
}
