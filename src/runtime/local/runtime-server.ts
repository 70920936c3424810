import { serveCri, type CriServerHandle } from './cri-server.js';
import { LocalRuntime, type LocalRuntimeOptions } from './local-runtime.js';

/** Options of `runRuntimeServer`: what `crilog runtime serve --socket PATH [--config FILE]` needs. */
export interface RuntimeServerOptions extends LocalRuntimeOptions {
  /** Unix socket path or `unix://` endpoint to serve on. */
  socket: string;
  /** Processes to run from the start (the config's `containers:`); validated as a whole. */
  containers?: unknown;
}

/** A running `crilog runtime serve`. */
export interface RuntimeServerHandle {
  runtime: LocalRuntime;
  server: CriServerHandle;
  /** Stops serving, then stops every process (SIGTERM, SIGKILL after the grace period) and flushes logs. */
  close(): Promise<void>;
}

/**
 * Starts a local runtime with the declared containers and serves it over CRI on a unix socket.
 * Fails (and cleans up) if a declaration is invalid or a process cannot be started.
 */
export async function runRuntimeServer(options: RuntimeServerOptions): Promise<RuntimeServerHandle> {
  const { socket, containers, ...runtimeOptions } = options;
  const runtime = new LocalRuntime(runtimeOptions);
  if (containers !== undefined) runtime.addAll(containers);
  const server = await serveCri(runtime, socket);
  try {
    await runtime.start();
  } catch (err) {
    await server.close();
    await runtime.stopAll(0);
    throw err;
  }
  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await server.close();
      await runtime.stopAll();
    })());
  return { runtime, server, close };
}
