import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Top-level entries a workspace does not share with the repository. */
const OWN = new Set(['.git', '.demo', 'dist', 'package.json']);

/**
 * A scratch directory laid out like the repository (every top-level entry a symlink to the real one),
 * except that `dist/` is the freshly built CLI and `.demo/` is its own, and with `crilog` on PATH. Doc
 * blocks run there as they would in a checkout after `npm run build`, without touching the checkout.
 */
export async function makeWorkspace(
  repo: string,
  builtMain: string,
): Promise<{ dir: string; env: NodeJS.ProcessEnv }> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'crilog-doc-'));
  const builtRoot = path.resolve(path.dirname(builtMain), '..', '..');
  for (const entry of await fsp.readdir(repo)) {
    if (!OWN.has(entry)) await fsp.symlink(path.join(repo, entry), path.join(dir, entry));
  }
  await fsp.symlink(path.join(builtRoot, 'dist'), path.join(dir, 'dist'));
  await fsp.copyFile(path.join(repo, 'package.json'), path.join(dir, 'package.json'));
  const bin = path.join(dir, '.bin');
  await fsp.mkdir(bin);
  await fsp.writeFile(
    path.join(bin, 'crilog'),
    `#!/bin/sh\nexec "${process.execPath}" "${path.join(dir, 'dist', 'cli', 'main.js')}" "$@"\n`,
    { mode: 0o755 },
  );
  const env = {
    ...process.env,
    PATH: `${bin}:${path.dirname(process.execPath)}:${process.env.PATH ?? ''}`,
    CONTAINER_RUNTIME_ENDPOINT: '',
    NO_COLOR: '1',
  };
  return { dir, env };
}

/** Waits until `probe` returns a value, checking every 100 ms; rejects at the deadline. */
export async function waitUntil<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  deadlineMs: number,
): Promise<T> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${deadlineMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Starts the demo (`examples/demo.yaml` on the embedded local runtime, as `npm start` runs it, but on an
 * ephemeral metrics port) in the workspace and waits until two containers have rotated, so `.demo/logs`
 * holds live, rotated and compressed files. Returns a function that stops it (SIGTERM, exit 0).
 */
export async function startDemo(ws: { dir: string; env: NodeJS.ProcessEnv }): Promise<() => Promise<void>> {
  const child: ChildProcess = spawn(
    process.execPath,
    [
      'dist/cli/main.js',
      'daemon',
      '--runtime',
      'local',
      '--config',
      'examples/demo.yaml',
      '--metrics-address',
      '127.0.0.1:0',
      '--no-status-view',
    ],
    { cwd: ws.dir, env: ws.env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = once(child, 'exit');
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const [code] = await exited;
    if (code !== 0) throw new Error(`the demo exited with ${String(code)}: ${err}`);
  };
  try {
    for (const name of ['orders-api', 'web']) {
      await waitUntil(
        `a compressed rotation of the demo's ${name}`,
        async () => {
          if (child.exitCode !== null) throw new Error(`the demo exited with ${child.exitCode}: ${err}`);
          const files = await fsp.readdir(path.join(ws.dir, '.demo', 'logs', name)).catch(() => []);
          return files.some((f) => f.endsWith('.gz')) ? true : undefined;
        },
        90_000,
      );
    }
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return stop;
}

/** Outcome of one block. */
export interface BlockRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  interrupts: number;
}

/** How long the command of an `interrupt` block runs after its first output before it gets SIGINT. */
const INTERRUPT_AFTER_MS = 2000;
/** ... and when it prints nothing. */
const INTERRUPT_ANYWAY_AFTER_MS = 15_000;

/**
 * Runs `code` with `bash -euo pipefail` in the workspace. With `interrupt`, the block (one command
 * that runs until stopped, such as a `--follow`) gets SIGINT as a user pressing Ctrl-C would send it,
 * 2 s after its first output (15 s if it prints nothing).
 */
export async function runBlock(
  ws: { dir: string; env: NodeJS.ProcessEnv },
  code: string,
  mode: { interrupt: boolean; timeoutS: number },
): Promise<BlockRun> {
  const child = spawn('bash', ['-euo', 'pipefail', '-c', code], {
    cwd: ws.dir,
    env: ws.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const closed = once(child, 'close');
  let interrupts = 0;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      process.kill(-child.pid!, 'SIGKILL');
    } catch {
      // already gone
    }
  }, mode.timeoutS * 1000);
  let ticker: NodeJS.Timeout | undefined;
  if (mode.interrupt) {
    // The block is one command that runs until stopped: it gets SIGINT once it has printed and had
    // 2 s more (it is up and handling signals, as a user would see it running), or after 15 s.
    const started = Date.now();
    let printedAt: number | null = null;
    child.stdout!.on('data', () => (printedAt ??= Date.now()));
    ticker = setInterval(() => {
      const now = Date.now();
      const ready = printedAt !== null && now - printedAt >= INTERRUPT_AFTER_MS;
      if (!ready && now - started < INTERRUPT_ANYWAY_AFTER_MS) return;
      try {
        process.kill(-child.pid!, 'SIGINT');
        interrupts++;
      } catch {
        // exited meanwhile
      }
    }, 250);
  }
  const [exitCode, signal] = (await closed) as [number | null, NodeJS.Signals | null];
  clearTimeout(timer);
  clearInterval(ticker);
  if (timedOut) stderr += `\n[doctest] killed after ${mode.timeoutS} s\n`;
  return { code: exitCode, signal, stdout, stderr, interrupts };
}
