import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { afterEach } from 'vitest';
import { LogSink } from '../cli/cli-harness.js';

/** A running `crilog` child process with its JSON log lines collected. */
export interface CliProcess {
  child: ChildProcess;
  logs: LogSink;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Spawns the built CLI (`main`) with `args`; killed after the test if still running. */
export function spawnCli(
  main: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): CliProcess {
  const child = spawn(process.execPath, [main, ...args], {
    cwd: opts.cwd,
    env: { ...process.env, CONTAINER_RUNTIME_ENDPOINT: '', ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const logs = new LogSink();
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    const end = out.lastIndexOf('\n');
    if (end >= 0) {
      logs.write(out.slice(0, end + 1));
      out = out.slice(end + 1);
    }
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return { child, logs, stderr: () => err, exited };
}

/** The value of a metric series in a Prometheus text exposition, or undefined. */
export function metricValue(text: string, series: string): number | undefined {
  for (const line of text.split('\n'))
    if (line.startsWith(`${series} `)) return Number(line.slice(series.length + 1));
  return undefined;
}
