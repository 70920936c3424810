import { readFileSync } from 'node:fs';

/** crilog's version from its package.json (two levels up from both `src/metrics` and `dist/metrics`). */
export function packageVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : 'unknown';
  } catch {
    // A broken install must not stop the daemon over a metric label.
    return 'unknown';
  }
}
