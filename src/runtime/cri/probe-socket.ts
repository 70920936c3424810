import { promises as fsp } from 'node:fs';
import net from 'node:net';

/** What a plain connect to the socket path showed, independent of gRPC. */
export type SocketProbe =
  | { kind: 'missing' }
  | { kind: 'not-a-socket'; fileType: string }
  | { kind: 'refused' }
  | { kind: 'permission-denied' }
  | { kind: 'accepts' }
  | { kind: 'error'; code: string };

function fileType(st: import('node:fs').Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFile()) return 'a regular file';
  if (st.isSymbolicLink()) return 'a symlink';
  if (st.isFIFO()) return 'a FIFO';
  return 'not a socket';
}

/**
 * Looks at the socket path to explain a failed connect: is it there, is it a socket, does anyone
 * listen. Only used after a failure, so its cost does not matter.
 */
export async function probeSocket(socketPath: string, timeoutMs = 1000): Promise<SocketProbe> {
  let st;
  try {
    st = await fsp.stat(socketPath);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'EUNKNOWN';
    if (code === 'ENOENT' || code === 'ENOTDIR') return { kind: 'missing' };
    if (code === 'EACCES') return { kind: 'permission-denied' };
    return { kind: 'error', code };
  }
  if (!st.isSocket()) return { kind: 'not-a-socket', fileType: fileType(st) };
  return new Promise<SocketProbe>((resolve) => {
    const sock = net.connect(socketPath);
    const done = (p: SocketProbe): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(p);
    };
    const timer = setTimeout(() => done({ kind: 'error', code: 'ETIMEDOUT' }), timeoutMs);
    sock.once('connect', () => done({ kind: 'accepts' }));
    sock.once('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ECONNREFUSED') done({ kind: 'refused' });
      else if (err.code === 'EACCES') done({ kind: 'permission-denied' });
      else done({ kind: 'error', code: err.code ?? 'EUNKNOWN' });
    });
  });
}

/** One sentence about the probe, for an error message. */
export function describeProbe(socketPath: string, probe: SocketProbe): string {
  switch (probe.kind) {
    case 'missing':
      return `socket "${socketPath}" does not exist (runtime not started, or a different path)`;
    case 'not-a-socket':
      return `"${socketPath}" exists but is ${probe.fileType}, not a unix socket`;
    case 'refused':
      return `socket "${socketPath}" exists but nobody listens on it (connection refused: stale socket of a stopped runtime)`;
    case 'permission-denied':
      return `permission denied on "${socketPath}" (run crilog as a user that may open the runtime socket)`;
    case 'accepts':
      return `socket "${socketPath}" accepts connections but does not answer as a CRI runtime.v1 server`;
    case 'error':
      return `connecting to "${socketPath}" failed with ${probe.code}`;
  }
}
