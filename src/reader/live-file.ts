import { constants, promises as fsp } from 'node:fs';
import { errnoCode, O_NOFOLLOW } from '../ports/file-system.js';

const READ_SIZE = 1024 * 1024;

/** How every log file is opened for reading: never through a symlink, never blocking. */
export const READ_FLAGS = constants.O_RDONLY | O_NOFOLLOW | (constants.O_NONBLOCK ?? 0);

/** A log's name leads to a FIFO, device, socket or directory: refused, it could block or never end. */
export class NotRegularFileError extends Error {
  constructor(readonly path: string) {
    super(
      `"${path}" is not a regular file (a FIFO, device or directory in a log's place): refusing to read it`,
    );
    this.name = 'NotRegularFileError';
  }
}

/** Opens `file` for reading (READ_FLAGS) and checks it is a regular file; ENOENT and others are thrown. */
export async function openRegularFile(file: string): Promise<fsp.FileHandle> {
  const handle = await fsp.open(file, READ_FLAGS);
  try {
    if (!(await handle.stat()).isFile()) throw new NotRegularFileError(file);
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * An open data file read forward from a remembered position. Holding the descriptor is what makes
 * following safe: after the runtime's log is renamed away the same descriptor still reads it to its end.
 */
export class OpenLogFile {
  position = 0;
  #scratch: Buffer | null = null;

  private constructor(
    readonly path: string,
    readonly handle: fsp.FileHandle,
    readonly ino: number,
    readonly dev: number,
  ) {}

  /**
   * Opens `file` read-only without following a symlink; null when it does not exist. `O_NONBLOCK` and
   * the regular-file check after `fstat` make a FIFO or device in a log's place an error at once, where
   * a plain open would wait for a writer forever.
   */
  static async open(file: string): Promise<OpenLogFile | null> {
    let handle: fsp.FileHandle;
    try {
      handle = await fsp.open(file, READ_FLAGS);
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return null;
      throw new Error(`failed to open log file "${file}"`, { cause: err });
    }
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new NotRegularFileError(file);
      return new OpenLogFile(file, handle, st.ino, st.dev);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Current size of the open file (not of whatever the path names now). */
  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  /**
   * Reads from `position` until end of file, handing each chunk to `onChunk` before reading the next
   * (the chunk's buffer is reused); stops early when `onChunk` returns false.
   * @returns bytes read.
   */
  async readToEnd(onChunk: (chunk: Buffer) => boolean | Promise<boolean>): Promise<number> {
    this.#scratch ??= Buffer.allocUnsafe(READ_SIZE);
    let total = 0;
    for (;;) {
      let bytesRead: number;
      try {
        ({ bytesRead } = await this.handle.read(this.#scratch, 0, READ_SIZE, this.position));
      } catch (err) {
        throw new Error(`failed to read log file "${this.path}" at byte ${this.position}`, { cause: err });
      }
      if (bytesRead === 0) return total;
      this.position += bytesRead;
      total += bytesRead;
      if ((await onChunk(this.#scratch.subarray(0, bytesRead))) === false) return total;
    }
  }

  /** Reads `length` bytes at `position` (fewer at end of file). */
  async readAt(position: number, length: number): Promise<Buffer> {
    const buf = Buffer.allocUnsafe(length);
    const { bytesRead } = await this.handle.read(buf, 0, length, position);
    return buf.subarray(0, bytesRead);
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => {});
  }
}
