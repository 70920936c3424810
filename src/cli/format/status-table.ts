import type { StatusReport } from '../../daemon/status/collect-status.js';
import { renderTable } from './table.js';
import { formatAgo, formatBytes } from './units.js';

/** `crilog status` as a table, one row per container, with a totals line (and the daemon's state). */
export function renderStatus(report: StatusReport, now = new Date()): string {
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
  const t = report.totals;
  let out = report.containers.length === 0 ? 'no containers\n' : renderTable(headers, rows, align);
  out += `\n${t.containers} container${t.containers === 1 ? '' : 's'}, ${t.managed} managed, ${t.rotatedFiles} rotated file${t.rotatedFiles === 1 ? '' : 's'}, ${formatBytes(t.bytesOnDisk)} on disk`;
  out += `; node limit ${limit < 0 ? 'off' : formatBytes(limit)} x ${report.limits.maxFiles} files\n`;
  if (report.daemon) {
    const d = report.daemon;
    out += `daemon PID ${d.pid} on ${d.runtime}: ${d.ready ? 'ready' : `NOT READY (${d.readyError ?? 'runtime unreachable'})`}, up ${formatAgo(d.startedAt, now).replace(' ago', '')}, ${t.rotations ?? 0} rotation${t.rotations === 1 ? '' : 's'}\n`;
  }
  return out;
}
