import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();

/** Synchronous last resort: `exit` listeners cannot await, so whatever is still alive gets SIGKILL. */
function killAll(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone; nothing else can be done while the process exits.
    }
  }
}

/**
 * Tracks a child until it exits so that it never outlives this process, even when the host exits
 * without stopping the runtime. The `exit` hook is installed only while children are alive.
 */
export function trackChild(child: ChildProcess): void {
  if (live.size === 0) process.on('exit', killAll);
  live.add(child);
  child.once('exit', () => {
    live.delete(child);
    if (live.size === 0) process.off('exit', killAll);
  });
}
