import type { UsageReport } from '../daemon/usage/collect-usage.js';
import type { TextSink } from './context.js';
import { renderUsage } from './format/usage-table.js';

/** Options of `startUsageView`. */
export interface UsageViewOptions {
  /** Produces the current log usage report (the daemon's `usageReport`). */
  report: () => Promise<UsageReport>;
  out: TextSink;
  /** Redraw in place with ANSI codes (a terminal); otherwise append one snapshot after another. */
  ansi: boolean;
  intervalMs?: number;
  /** Lines shown under the table (where logs go, how to stop). */
  footer?: string[];
}

const CLEAR = '\x1b[H\x1b[2J';

/**
 * A live status table for the terminal: the same view as `crilog status`, refreshed every second.
 * A refresh never overlaps the previous one, and a failed refresh shows its error instead of ending
 * the view. Returns a function that stops it and waits for a refresh in progress.
 */
export function startUsageView(options: UsageViewOptions): () => Promise<void> {
  let stopped = false;
  let inflight: Promise<void> = Promise.resolve();
  const draw = async () => {
    let body: string;
    try {
      body = renderUsage(await options.report());
    } catch (err) {
      body = `status unavailable: ${(err as Error).message}\n`;
    }
    if (stopped) return;
    const stamp = new Date().toISOString().slice(11, 19);
    const footer = (options.footer ?? []).map((l) => `${l}\n`).join('');
    options.out.write(
      `${options.ansi ? CLEAR : '\n'}crilog — live status (${stamp} UTC)\n\n${body}\n${footer}`,
    );
  };
  let timer: NodeJS.Timeout | undefined;
  const tick = () => {
    inflight = draw().then(() => {
      if (!stopped) timer = setTimeout(tick, options.intervalMs ?? 1000);
    });
  };
  tick();
  return async () => {
    stopped = true;
    clearTimeout(timer);
    await inflight;
  };
}
