import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { ContainerNotFoundError, ContainerNotRunningError } from '../../src/errors/crilog-error.js';
import type { ContainerInfo, ContainerStatus, RuntimeService } from '../../src/ports/runtime-service.js';

/** The writer child process shared with `bench/overshoot`. */
export const WRITER_SCRIPT = fileURLToPath(new URL('../../bench/overshoot/writer.mjs', import.meta.url));

type Reply =
  | { type: 'ready' }
  | { type: 'reopened'; seq: number }
  | { type: 'stopped'; written: number; generations: number[] };

/**
 * A one-container runtime whose container is a real process writing to its log at a fixed rate; its
 * reopen makes that process switch to a new file at the same path, as containerd does.
 */
export class WriterRuntime implements RuntimeService {
  readonly child: ChildProcess;
  #seq = 0;
  readonly #waiting = new Map<number, (err?: Error) => void>();
  #stopped: Promise<{ written: number; generations: number[] }> | undefined;
  readonly ready: Promise<void>;

  constructor(
    readonly id: string,
    readonly logPath: string,
    bytesPerSecond: number,
  ) {
    this.child = fork(WRITER_SCRIPT, [logPath, String(bytesPerSecond)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    // A reopen the writer will never answer (it stopped or died) fails like one of a stopped container.
    this.child.once('exit', () => {
      for (const settle of this.#waiting.values()) settle(new ContainerNotRunningError(this.id));
    });
    this.ready = new Promise((resolve, reject) => {
      this.child.once('error', reject);
      this.child.once('exit', (code) => reject(new Error(`writer exited early with code ${code}`)));
      this.child.on('message', (m: Reply) => {
        if (m.type === 'ready') resolve();
        if (m.type === 'reopened') this.#waiting.get(m.seq)?.();
      });
    });
  }

  async listContainers(): Promise<ContainerInfo[]> {
    return [{ id: this.id, state: this.running ? 'running' : 'exited', labels: {}, annotations: {} }];
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    if (id !== this.id) throw new ContainerNotFoundError(id);
    return {
      id,
      state: this.running ? 'running' : 'exited',
      labels: {},
      annotations: {},
      logPath: this.logPath,
    };
  }

  async reopenContainerLog(id: string): Promise<void> {
    if (id !== this.id) throw new ContainerNotFoundError(id);
    if (!this.running) throw new ContainerNotRunningError(id);
    const seq = ++this.#seq;
    try {
      await new Promise<void>((resolve, reject) => {
        this.#waiting.set(seq, (err) => (err ? reject(err) : resolve()));
        this.child.send({ type: 'reopen', seq });
      });
    } finally {
      this.#waiting.delete(seq);
    }
  }

  get running(): boolean {
    return this.#stopped === undefined && this.child.exitCode === null;
  }

  /** Stops the writer; resolves with the bytes it wrote in total and per file. */
  stop(): Promise<{ written: number; generations: number[] }> {
    this.#stopped ??= (async () => {
      const reply = new Promise<Reply>((resolve) =>
        this.child.on('message', (m: Reply) => m.type === 'stopped' && resolve(m)),
      );
      this.child.send({ type: 'stop' });
      const m = (await reply) as Extract<Reply, { type: 'stopped' }>;
      for (const settle of this.#waiting.values()) settle(new ContainerNotRunningError(this.id));
      if (this.child.exitCode === null) await once(this.child, 'exit');
      return { written: m.written, generations: m.generations };
    })();
    return this.#stopped;
  }

  /** Kills the writer if still running (test cleanup). */
  kill(): void {
    if (this.child.exitCode === null) this.child.kill('SIGKILL');
  }
}
