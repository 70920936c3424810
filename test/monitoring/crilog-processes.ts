import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { CriRuntimeService } from '../../src/runtime/cri/index.js';

/** A crilog child process and its output. */
export class CrilogProcess {
  #out = '';
  readonly exited: Promise<unknown>;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
  ) {
    child.stdout!.setEncoding('utf8').on('data', (s: string) => (this.#out += s));
    child.stderr!.setEncoding('utf8').on('data', (s: string) => (this.#out += s));
    this.exited = once(child, 'exit');
  }

  /** Everything it printed (JSON log lines). */
  get output(): string {
    return this.#out;
  }

  /** The first JSON log line with message `msg`; rejects when the process exits or at the deadline. */
  async logLine(msg: string, timeoutMs = 60_000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const raw of this.#out.split('\n')) {
        if (!raw.startsWith('{')) continue;
        const line = JSON.parse(raw) as Record<string, unknown>;
        if (line.msg === msg) return line;
      }
      if (this.child.exitCode !== null || Date.now() > deadline)
        throw new Error(`${this.name}: no "${msg}" log line; output:\n${this.#out.slice(-3000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM and wait; SIGKILL after 15 s. */
  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 15_000);
    await this.exited;
    clearTimeout(timer);
  }
}

/**
 * `crilog runtime serve` (the embedded local runtime over CRI) running `containers`, writing their logs
 * under `logRoot`; resolves once its CRI socket answers.
 */
export async function startRuntimeServe(
  main: string,
  dir: string,
  logRoot: string,
  containers: { name: string; script: string }[],
): Promise<{ process: CrilogProcess; endpoint: string }> {
  const config = path.join(dir, 'runtime.yaml');
  await fsp.writeFile(
    config,
    [
      'containers:',
      ...containers.flatMap((c) => [
        `  - name: ${c.name}`,
        `    command: ${JSON.stringify(process.execPath)}`,
        `    args: ['-e', ${JSON.stringify(c.script)}]`,
      ]),
      '',
    ].join('\n'),
  );
  const socket = path.join(dir, 'cri.sock');
  const child = spawn(
    process.execPath,
    [
      main,
      'runtime',
      'serve',
      '--socket',
      socket,
      '--config',
      config,
      '--log-root',
      logRoot,
      '--lock-file',
      path.join(dir, 'runtime.lock'),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const proc = new CrilogProcess('crilog runtime serve', child);
  const endpoint = `unix://${socket}`;
  const cri = new CriRuntimeService({ endpoint });
  try {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const ok = await cri.connect().then(
        () => true,
        () => false,
      );
      if (ok) break;
      if (child.exitCode !== null || Date.now() > deadline)
        throw new Error(`no CRI server at ${socket}; output:\n${proc.output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    cri.close();
  }
  return { process: proc, endpoint };
}

/** `crilog daemon` with `args`; resolves with its metrics URL once it has started. */
export async function startDaemon(
  main: string,
  args: string[],
): Promise<{ process: CrilogProcess; url: string }> {
  const child = spawn(process.execPath, [main, 'daemon', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const proc = new CrilogProcess('crilog daemon', child);
  const started = await proc.logLine('crilog daemon started');
  return { process: proc, url: `http://${String(started.metrics)}` };
}
