import type { DestinationStream } from 'pino';
import { defaultRuntimeFactories, type RuntimeFactory } from '../daemon/runtime-factory.js';

/** Something text can be written to. */
export interface TextSink {
  write(text: string): unknown;
}

/** Minimal signal source: `process` in production, an `EventEmitter` in tests. */
export interface SignalSource {
  on(signal: 'SIGTERM' | 'SIGINT' | 'SIGHUP', listener: () => void): unknown;
  off(signal: 'SIGTERM' | 'SIGINT' | 'SIGHUP', listener: () => void): unknown;
}

/**
 * Everything a command reaches outside itself, so commands run in-process in tests with captured
 * output, a fake environment, fake runtimes and simulated signals.
 */
export interface CliContext {
  stdout: TextSink;
  stderr: TextSink;
  env: NodeJS.ProcessEnv;
  cwd: string;
  runtimeFactories: Readonly<Record<string, RuntimeFactory>>;
  signals: SignalSource;
  /** Where the daemon's JSON logs go: a file descriptor (1 = stdout) or a stream. */
  daemonLog: number | DestinationStream;
  /** Where one-shot commands' logs go. */
  commandLog: number | DestinationStream;
  fetch: typeof fetch;
  /** Set by a command; what the process exits with. */
  exitCode: number;
}

/** The real process. */
export function processContext(): CliContext {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    runtimeFactories: defaultRuntimeFactories,
    signals: process,
    daemonLog: 1,
    commandLog: 2,
    fetch: globalThis.fetch,
    exitCode: 0,
  };
}
