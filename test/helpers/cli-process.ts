import type { ChildProcess } from 'node:child_process';
import { LogSink } from '../cli/cli-harness.js';
import { spawnCli as spawnBuiltCli } from '../cli/spawn-cli.js';

/** A running `crilog` child process with its JSON log lines collected. */
export interface CliProcess {
  child: ChildProcess;
  logs: LogSink;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Spawns the built CLI (`main`) with `args` (see test/cli/spawn-cli.ts: killed after the test if still
 * running) and parses its stdout as the daemon's JSON log lines.
 */
export function spawnCli(
  main: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): CliProcess {
  const p = spawnBuiltCli(main, args, opts);
  const logs = new LogSink();
  let out = '';
  p.child.stdout!.on('data', (s: string) => {
    out += s;
    const end = out.lastIndexOf('\n');
    if (end >= 0) {
      logs.write(out.slice(0, end + 1));
      out = out.slice(end + 1);
    }
  });
  return { child: p.child, logs, stderr: p.stderr, exited: p.exited };
}

/** The value of a metric series in a Prometheus text exposition, or undefined. */
export function metricValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n'))
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  return undefined;
}
