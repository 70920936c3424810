const UNITS = ['B', 'Ki', 'Mi', 'Gi', 'Ti', 'Pi'];

/** Bytes in binary units as the size flags take them: `512B`, `9.8Mi`, `1.2Gi`. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined || !Number.isFinite(bytes)) return '-';
  if (bytes < 0) return `-${formatBytes(-bytes)}`;
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value}B`;
  return `${value >= 100 ? Math.round(value) : value.toFixed(1).replace(/\.0$/, '')}${UNITS[unit]}`;
}

/** Time since `iso` relative to `now`: `12s ago`, `3m ago`, `5h ago`, `2d ago`; `-` when unknown. */
export function formatAgo(iso: string | null | undefined, now: Date): string {
  if (!iso) return '-';
  const ms = now.getTime() - Date.parse(iso);
  if (!Number.isFinite(ms)) return '-';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86400)}d ago`;
}

/** Milliseconds as `850ms`, `1.2s`, `10s`, `2m`. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1).replace(/\.0$/, '')}s`;
  return `${(ms / 60_000).toFixed(1).replace(/\.0$/, '')}m`;
}
