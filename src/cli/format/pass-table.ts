import path from 'node:path';
import { hasErrorCode } from '../../errors/crilog-error.js';
import type { PassReport } from '../../manager/types.js';
import { describeError } from '../exit-codes.js';
import { renderTable } from './table.js';
import { formatBytes, formatDuration } from './units.js';

/** What `crilog rotate --once` did, one row per container, errors spelled out below the table. */
export function renderPass(report: PassReport): string {
  if (report.error) return `pass failed: ${describeError(report.error)}\n`;
  const rows = report.containers.map((c) => [
    c.id.slice(0, 13),
    isRefusal(c.error) ? 'refused' : c.action,
    c.size === undefined ? '-' : formatBytes(c.size),
    c.limit === undefined ? '-' : formatBytes(c.limit),
    c.rotatedTo ? path.basename(c.rotatedTo) : '-',
    String(c.compressed?.length ?? 0),
    String(c.removed?.length ?? 0),
  ]);
  let out =
    report.containers.length === 0
      ? 'no containers\n'
      : renderTable(['CONTAINER', 'ACTION', 'SIZE', 'LIMIT', 'ROTATED TO', 'COMPRESSED', 'REMOVED'], rows, [
          'left',
          'left',
          'right',
          'right',
          'left',
          'right',
          'right',
        ]);
  for (const c of report.containers) if (c.error) out += `\n${c.id}: ${describeError(c.error)}`;
  const count = (a: string) => report.containers.filter((c) => c.action === a && !isRefusal(c.error)).length;
  const refused = report.containers.filter((c) => isRefusal(c.error)).length;
  out += `${report.containers.some((c) => c.error) ? '\n' : ''}\n${report.containers.length} containers: ${count('rotated')} rotated, ${count('failed')} failed, ${refused} refused, ${count('skipped')} skipped in ${formatDuration(report.durationMs)}\n`;
  return out;
}

/** A log crilog declined to touch (outside the roots, a symlink): by design, not a failure. */
export function isRefusal(error: Error | undefined): boolean {
  return error !== undefined && hasErrorCode(error, 'ERR_UNSAFE_PATH');
}

/** A pass report as plain JSON (errors as messages, dates as ISO strings). */
export function passToJson(report: PassReport): unknown {
  const err = (e: Error | undefined) => {
    if (!e) return undefined;
    const code = (e as Error & { code?: unknown }).code;
    return { message: describeError(e), ...(typeof code === 'string' ? { code } : {}) };
  };
  return {
    startedAt: report.startedAt.toISOString(),
    durationMs: report.durationMs,
    ...(report.error ? { error: err(report.error) } : {}),
    containers: report.containers.map((c) => ({ ...c, error: err(c.error) })),
  };
}
