import type { UsageReport } from '../../daemon/usage/collect-usage.js';
import { renderTable } from './table.js';
import { formatAgo, formatBytes } from './units.js';

/** `crilog status` as a table, one row per container, with a totals line (and the daemon's state). */
export function renderUsage(report: UsageReport, now = new Date()): string {
  const daemon = report.source === 'daemon';
  const headers = [
    'NAMESPACE',
    'POD',
    'CONTAINER',
    'ID',
    'STATE',
    'LIVE / LIMIT',
    'ROTATED',
    'ON DISK',
    'RATIO',
    'LAST ROTATION',
    ...(daemon ? ['ROTATIONS'] : []),
    'NOTE',
  ];
  const limit = report.limits.maxSize;
  const rows = report.containers.map((c) => [
    c.namespace || '-',
    c.pod || '-',
    c.container || c.name,
    c.id.slice(0, 13),
    c.state,
    c.liveBytes === null
      ? '-'
      : `${formatBytes(c.liveBytes)} / ${c.limitBytes < 0 ? 'off' : formatBytes(c.limitBytes)}${c.liveRatio === null ? '' : ` (${Math.round(c.liveRatio * 100)}%)`}`,
    c.rotatedFiles === 0 ? '0' : `${c.rotatedFiles} (${c.compressedFiles} gz)`,
    formatBytes(c.bytesOnDisk),
    c.compressionRatio === null ? '-' : `${c.compressionRatio.toFixed(1)}:1`,
    formatAgo(c.lastRotation, now),
    ...(daemon ? [String(c.rotations ?? 0)] : []),
    c.note ?? '',
  ]);
  const align = headers.map(
    (h) => (['ON DISK', 'RATIO', 'ROTATIONS'].includes(h) ? 'right' : 'left') as 'left' | 'right',
  );
  const totals = report.totals;
  let out = report.containers.length === 0 ? 'no containers\n' : renderTable(headers, rows, align);
  out += `\n${totals.containers} container${totals.containers === 1 ? '' : 's'}, ${totals.managed} managed, ${totals.rotatedFiles} rotated file${totals.rotatedFiles === 1 ? '' : 's'}, ${formatBytes(totals.bytesOnDisk)} on disk`;
  out += `; node limit ${limit < 0 ? 'off' : formatBytes(limit)} x ${report.limits.maxFiles} files\n`;
  if (report.daemon) {
    const daemon = report.daemon;
    out += `daemon PID ${daemon.pid} on ${daemon.runtime}: ${daemon.ready ? 'ready' : `NOT READY (${daemon.readyError ?? 'runtime unreachable'})`}, up ${formatAgo(daemon.startedAt, now).replace(' ago', '')}, ${totals.rotations ?? 0} rotation${totals.rotations === 1 ? '' : 's'}\n`;
  }
  return out;
}
