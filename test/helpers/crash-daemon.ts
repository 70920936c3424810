import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';

/** A log line of the daemon (pino JSON). */
export type LogLine = Record<string, unknown> & { msg?: string; level?: string };

/** A `crilog daemon` child process and what it logged. */
export interface DaemonProcess {
  child: ChildProcess;
  readonly pid: number;
  readonly lines: LogLine[];
  stderr(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the first line (past or future) matching `match`; rejects at the deadline or on exit. */
  waitForLine(what: string, match: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Lines whose `msg` is `msg`. */
  count(msg: string): number;
  /** SIGKILLs it if it still runs and waits for the exit (for cleanups). */
  dispose(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** SIGKILLs every daemon this module started that still runs (for `afterEach`). */
export async function killDaemons(): Promise<void> {
  const waits: Promise<unknown>[] = [];
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) {
      waits.push(once(child, 'exit'));
      child.kill('SIGKILL');
    }
  }
  live.clear();
  await Promise.all(waits);
}

/** Flags for a daemon confined to `dir`: its own lock, an ephemeral metrics port, debug logs. */
export function isolatedFlags(dir: string, extra: string[] = []): string[] {
  return [
    '--lock-file',
    path.join(dir, 'crilog.lock'),
    '--metrics-address',
    '127.0.0.1:0',
    '--log-level',
    'debug',
    ...extra,
  ];
}

/**
 * Spawns `node <main> daemon <flags>`; `crashAt` sets `CRILOG_TEST_CRASH_AT`, the test-only hook
 * that makes the process SIGKILL itself at that step of a rotation; `maxOpenFiles` runs it under
 * that `ulimit -n`.
 */
export function spawnDaemon(
  main: string,
  flags: string[],
  crashAt?: string,
  options: { maxOpenFiles?: number } = {},
): DaemonProcess {
  const env: NodeJS.ProcessEnv = { ...process.env, CONTAINER_RUNTIME_ENDPOINT: '' };
  delete env.CRILOG_TEST_CRASH_AT;
  if (crashAt) env.CRILOG_TEST_CRASH_AT = crashAt;
  const argv = [main, 'daemon', ...flags];
  // A lower descriptor limit (`ulimit -n`) makes descriptor exhaustion reachable with a few hundred sockets.
  const child =
    options.maxOpenFiles === undefined
      ? spawn(process.execPath, argv, { env, stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn(
          'bash',
          ['-c', `ulimit -n ${options.maxOpenFiles} && exec "$@"`, 'bash', process.execPath, ...argv],
          { env, stdio: ['ignore', 'pipe', 'pipe'] },
        );
  live.add(child);
  const lines: LogLine[] = [];
  const waiters = new Set<{ match: (l: LogLine) => boolean; resolve: (l: LogLine) => void }>();
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    let end;
    while ((end = out.indexOf('\n')) >= 0) {
      const raw = out.slice(0, end);
      out = out.slice(end + 1);
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        err += `${raw}\n`;
        continue;
      }
      lines.push(line);
      for (const w of [...waiters]) {
        if (!w.match(line)) continue;
        waiters.delete(w);
        w.resolve(line);
      }
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = once(child, 'exit').then(([code, signal]) => {
    live.delete(child);
    return { code: code as number | null, signal: signal as NodeJS.Signals | null };
  });
  return {
    child,
    pid: child.pid!,
    lines,
    stderr: () => err,
    exited,
    count: (msg) => lines.filter((l) => l.msg === msg).length,
    async dispose() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    waitForLine(what, match, timeoutMs = 15_000) {
      const found = lines.find(match);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const waiter = {
          match,
          resolve: (l: LogLine) => {
            clearTimeout(timer);
            resolve(l);
          },
        };
        const fail = (why: string) => {
          waiters.delete(waiter);
          reject(
            new Error(
              `no log line "${what}" (${why}); messages: ${lines
                .map((l) => l.msg)
                .slice(-30)
                .join(', ')}; stderr: ${err.slice(-2000)}`,
            ),
          );
        };
        const timer = setTimeout(() => fail(`within ${timeoutMs} ms`), timeoutMs);
        waiters.add(waiter);
        void exited.then((e) => {
          if (waiters.has(waiter)) {
            clearTimeout(timer);
            fail(`the daemon exited with ${e.code ?? e.signal}`);
          }
        });
      });
    },
  };
}
