import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runRuntimeServer, type RuntimeServerHandle } from '../../src/runtime/local/index.js';
import type { LocalRuntime } from '../../src/runtime/local/local-runtime.js';

/** The container process of the fault suite: numbered lines, `end <count>` on SIGTERM. */
export const COUNTER_WRITER = fileURLToPath(
  new URL('../faults/fixtures/counter-writer.mjs', import.meta.url),
);

/** Polls `check` every 10 ms until it returns a truthy value; throws naming `what` at the deadline. */
export async function waitFor<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
): Promise<Exclude<T, false | 0 | '' | null | undefined>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Exclude<T, false | 0 | '' | null | undefined>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A fresh temp dir; `remove()` deletes it. */
export async function makeTempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await fsp.mkdtemp(path.join(os.tmpdir(), prefix));
  return { dir, remove: () => fsp.rm(dir, { recursive: true, force: true }) };
}

/** How the runtime answers `ReopenContainerLog`: normally, with an error, or late. */
export type ReopenFault =
  | { kind: 'ok' }
  | { kind: 'fail' }
  | { kind: 'delay'; ms: number }
  /** Runs instead of the reopen; `real` performs it. */
  | { kind: 'hook'; run: (real: () => Promise<void>) => Promise<void> };

/** The embedded runtime served over CRI, running one counter writer. */
export interface CounterRuntime {
  handle: RuntimeServerHandle;
  runtime: LocalRuntime;
  id: string;
  logPath: string;
  socket: string;
  endpoint: string;
  /** What the next `ReopenContainerLog` calls do. */
  reopenFault: ReopenFault;
  /** Calls that reached the runtime, calls failed on purpose, and reopens the runtime carried out. */
  readonly reopens: { calls: number; failed: number; completed: number };
  /** Stops the writer with SIGTERM; resolves once its `end` line is in the log. */
  stopWriter(): Promise<void>;
  /** Stops serving and the writer. */
  close(): Promise<void>;
}

/** Options of `startCounterRuntime`. */
export interface CounterRuntimeOptions {
  dir: string;
  /** Arguments of `counter-writer.mjs`; default a steady stream of ~8000 lines/s. */
  writerArgs?: string[];
  /** Absolute log path (any name, spaces and newlines included); default `<dir>/pods/counter/0.log`. */
  logPath?: string;
  /** Socket path; default `<dir>/cri.sock`. */
  socket?: string;
}

/**
 * Starts `crilog runtime serve` in this process (so it outlives any crilog process a test kills) with
 * one counter writer, and a switch to make `ReopenContainerLog` fail or answer late.
 */
export async function startCounterRuntime(opts: CounterRuntimeOptions): Promise<CounterRuntime> {
  const socket = opts.socket ?? path.join(opts.dir, 'cri.sock');
  const handle = await runRuntimeServer({
    socket,
    logRoot: path.join(opts.dir, 'pods'),
    stopGracePeriodMs: 5000,
  });
  const runtime = handle.runtime;
  const spec = {
    name: 'counter',
    command: process.execPath,
    args: [COUNTER_WRITER, ...(opts.writerArgs ?? ['stream', '40', '5'])],
  };
  const id = opts.logPath ? runtime.add(spec, { logPath: opts.logPath }) : runtime.add(spec);
  const reopens = { calls: 0, failed: 0, completed: 0 };
  const real = runtime.reopenContainerLog.bind(runtime);
  const result: CounterRuntime = {
    handle,
    runtime,
    id,
    logPath: '',
    socket,
    endpoint: `unix://${socket}`,
    reopenFault: { kind: 'ok' },
    reopens,
    async stopWriter() {
      await runtime.stop(id, 5000);
    },
    async close() {
      await handle.close();
      await runtime.stopAll(0);
    },
  };
  // The CRI handlers call the instance method, so replacing it injects faults behind the socket.
  runtime.reopenContainerLog = async (cid: string) => {
    reopens.calls++;
    const fault = result.reopenFault;
    if (fault.kind === 'fail') {
      reopens.failed++;
      throw new Error('injected fault: ReopenContainerLog fails');
    }
    const perform = async () => {
      await real(cid);
      reopens.completed++;
    };
    if (fault.kind === 'hook') return fault.run(perform);
    if (fault.kind === 'delay') await new Promise((resolve) => setTimeout(resolve, fault.ms));
    await perform();
  };
  await runtime.startContainer(id);
  result.logPath = (await runtime.containerStatus(id)).logPath;
  return result;
}
