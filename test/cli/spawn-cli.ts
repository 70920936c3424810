import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { afterEach } from 'vitest';

/** A running `crilog` child process with its output collected. */
export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves once stdout satisfies `test`; rejects when the process exits first or at the deadline. */
  waitForStdout(test: (out: string) => boolean, what: string, deadlineMs?: number): Promise<void>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const running: ChildProcess[] = [];
afterEach(() => {
  for (const p of running.splice(0)) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
});

/**
 * Starts `node <main> ...args` as a real child process (stdin closed, stdout/stderr piped). Killed with
 * SIGKILL after the test if it is still running, unless `outlivesTest` (then the caller stops it).
 */
export function spawnCli(
  main: string,
  args: readonly string[],
  options: SpawnOptions = {},
  { outlivesTest = false } = {},
): CliProcess {
  const child = spawn(process.execPath, [main, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    ...options,
    env: { ...process.env, CONTAINER_RUNTIME_ENDPOINT: '', ...options.env },
  });
  if (!outlivesTest) running.push(child);
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout!.setEncoding('utf8').on('data', (s: string) => {
    out += s;
    for (const w of [...waiters]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = once(child, 'exit').then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  const waitForStdout = (test: (o: string) => boolean, what: string, deadlineMs = 30_000) =>
    new Promise<void>((resolve, reject) => {
      const fail = (why: string) => {
        waiters.delete(check);
        clearTimeout(timer);
        reject(new Error(`${why} before ${what}; stdout tail: ${out.slice(-300)}; stderr: ${err}`));
      };
      const check = () => {
        if (!test(out)) return;
        waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => fail(`${deadlineMs} ms passed`), deadlineMs);
      waiters.add(check);
      void exited.then(({ code, signal }) => {
        if (waiters.has(check)) {
          check();
          if (waiters.has(check)) fail(`crilog exited (code ${code}, signal ${signal})`);
        }
      });
      check();
    });
  return { child, stdout: () => out, stderr: () => err, waitForStdout, exited };
}

/** Runs `node <main> ...args` to completion. */
export async function runCliProcess(
  main: string,
  args: readonly string[],
  options: SpawnOptions = {},
): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  const p = spawnCli(main, args, options);
  // 'close' comes after 'exit' once the pipes are drained too.
  const [code, signal] = (await once(p.child, 'close')) as [number | null, NodeJS.Signals | null];
  return { code, signal, stdout: p.stdout(), stderr: p.stderr() };
}
