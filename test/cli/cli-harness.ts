import { EventEmitter } from 'node:events';
import type { CliContext } from '../../src/cli/context.js';
import { runCli } from '../../src/cli/program.js';
import type { RuntimeFactory } from '../../src/daemon/runtime-factory.js';
import type { RuntimeService } from '../../src/ports/runtime-service.js';

/** Output of one in-process CLI run. */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** JSON log lines the command wrote. */
  logs: Record<string, unknown>[];
}

/** A factory for `--runtime cri` that hands out `runtime` (and can be made unreachable). */
export function fakeFactory(
  runtime: RuntimeService,
  probe: () => Promise<string> = async () => 'fake 1.0',
): RuntimeFactory {
  return async () => ({ runtime, description: 'fake runtime', probe, close: async () => {} });
}

/** Collects JSON log lines and lets a test wait for one. */
export class LogSink {
  readonly lines: Record<string, unknown>[] = [];
  /** Lines that were not JSON (e.g. `--version` output). */
  readonly text: string[] = [];
  readonly #waiters: {
    match: (l: Record<string, unknown>) => boolean;
    resolve: (l: Record<string, unknown>) => void;
  }[] = [];

  write(text: string): void {
    for (const raw of text.split('\n')) {
      if (!raw.trim()) continue;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        this.text.push(raw);
        continue;
      }
      this.lines.push(line);
      for (const w of [...this.#waiters]) {
        if (w.match(line)) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  }

  /** Resolves with the first line (past or future) whose `msg` is `msg`; rejects at the deadline. */
  waitFor(msg: string, deadlineMs = 15_000): Promise<Record<string, unknown>> {
    return this.waitUntil((l) => l.msg === msg, `"${msg}" log line`, deadlineMs);
  }

  /** Resolves with the first line (past or future) that `match`es; rejects at the deadline naming `what`. */
  waitUntil(
    match: (l: Record<string, unknown>) => boolean,
    what: string,
    deadlineMs = 15_000,
  ): Promise<Record<string, unknown>> {
    const found = this.lines.find(match);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`no ${what} within ${deadlineMs} ms; saw: ${this.lines.map((l) => l.msg).join(', ')}`),
          ),
        deadlineMs,
      );
      this.#waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
    });
  }
}

/** Runs `crilog <argv>` in-process with captured output; `ctx` overrides parts of the context. */
export async function cli(argv: string[], ctx: Partial<CliContext> = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const logs = new LogSink();
  const code = await runCli(argv, {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    env: {},
    signals: new EventEmitter(),
    daemonLog: logs,
    commandLog: logs,
    ...ctx,
  });
  return { code, stdout, stderr, logs: logs.lines };
}
