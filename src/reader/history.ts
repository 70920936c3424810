import { promises as fsp } from 'node:fs';
import { hasErrorCode } from '../errors/crilog-error.js';
import { errnoCode } from '../ports/file-system.js';
import type { RotatedFile } from '../rotation/log-files.js';
import { CODEC_SUFFIX, type CodecName } from '../codecs/codec-names.js';
import { compareKeys, type RotationKey } from '../rotation/naming.js';
import { decode } from './decoders.js';
import { NotRegularFileError, OpenLogFile } from './live-file.js';

const READ_SIZE = 1024 * 1024;

/** One data file of a container's history. */
export interface HistoryEntry {
  /** Current name; switches to the compressed twin when the raw file was compressed meanwhile. */
  path: string;
  codec: CodecName | null;
  /** Rotation key; null for the live file. */
  key: RotationKey | null;
  /** Raw files once opened (the live file from the start). */
  file: OpenLogFile | null;
  /** Compressed files decoded whole, kept for a second pass (tail reads backwards, then forwards). */
  data: Buffer | null;
  /** The file vanished before it could be read. */
  missing: boolean;
  /** A warning about this file was already given. */
  warned: boolean;
  /** Counted in `filesRead`. */
  counted: boolean;
}

/** A new entry for a rotated file. */
export function rotatedEntry(file: RotatedFile): HistoryEntry {
  return {
    path: file.path,
    codec: file.codec,
    key: { stamp: file.stamp, seq: file.seq },
    file: null,
    data: null,
    missing: false,
    warned: false,
    counted: false,
  };
}

/** A new entry for an opened live file. */
export function liveEntry(file: OpenLogFile | null, logPath: string): HistoryEntry {
  return {
    path: logPath,
    codec: null,
    key: null,
    file,
    data: null,
    missing: file === null,
    warned: false,
    counted: false,
  };
}

/** The newest rotation key among `files`, or null. */
export function newestKey(files: readonly { key: RotationKey | null }[]): RotationKey | null {
  let newest: RotationKey | null = null;
  for (const f of files) if (f.key && (!newest || compareKeys(f.key, newest) > 0)) newest = f.key;
  return newest;
}

/** Reads the files of a history, forwards or whole, turning per-file failures into warnings. */
export class HistoryReader {
  filesRead = 0;

  constructor(private readonly warn: (message: string) => void) {}

  /** Opens a raw rotated file, or switches the entry to its compressed twin if it was compressed meanwhile. */
  async prepare(entry: HistoryEntry): Promise<boolean> {
    if (entry.missing) return false;
    if (entry.codec === null && entry.file === null) {
      try {
        entry.file = await OpenLogFile.open(entry.path);
      } catch (err) {
        if (!(err instanceof NotRegularFileError) || entry.key === null) throw err;
        // A rotated name replaced by a FIFO or device: skip it, as a damaged archive is skipped.
        entry.missing = true;
        if (!entry.warned) {
          entry.warned = true;
          this.warn(`${err.message}; skipped it, continuing with the next file`);
        }
        return false;
      }
      if (!entry.file) {
        const twin = await findCompressedTwin(entry.path);
        if (!twin) return this.#vanished(entry);
        entry.path = twin.path;
        entry.codec = twin.codec;
      }
    }
    if (!entry.counted) {
      entry.counted = true;
      this.filesRead++;
    }
    return true;
  }

  /** The content of `entry` from byte `offset` on, in chunks valid until the next one is requested. */
  async *chunks(entry: HistoryEntry, offset = 0): AsyncGenerator<Buffer> {
    if (!(await this.prepare(entry))) return;
    if (entry.file) {
      yield* rawChunks(entry.file, offset);
      return;
    }
    if (entry.data) {
      for (let at = offset; at < entry.data.length; at += READ_SIZE)
        yield entry.data.subarray(at, at + READ_SIZE);
      return;
    }
    let decoded = 0;
    try {
      for await (const chunk of decode(entry.path, entry.codec!)) {
        const skip = Math.max(0, Math.min(chunk.length, offset - decoded));
        decoded += chunk.length;
        if (skip < chunk.length) yield skip ? chunk.subarray(skip) : chunk;
      }
    } catch (err) {
      this.#decodeFailed(entry, err, decoded);
    }
  }

  /** The whole decoded content of a compressed entry (what could be decoded, if it is damaged). */
  async decodeAll(entry: HistoryEntry): Promise<Buffer> {
    if (entry.data) return entry.data;
    const parts: Buffer[] = [];
    for await (const chunk of this.chunks(entry)) parts.push(Buffer.from(chunk));
    entry.data = Buffer.concat(parts);
    return entry.data;
  }

  #vanished(entry: HistoryEntry): false {
    entry.missing = true;
    if (!entry.warned) {
      entry.warned = true;
      this.warn(
        `rotated log "${entry.path}" was removed before it could be read (retention or cleanup ran meanwhile); its lines are missing from the output`,
      );
    }
    return false;
  }

  #decodeFailed(entry: HistoryEntry, err: unknown, decoded: number): void {
    if (errnoCode(err) === 'ENOENT') {
      this.#vanished(entry);
      return;
    }
    if (entry.warned) return;
    entry.warned = true;
    if (hasErrorCode(err, 'ERR_READ')) {
      this.warn(`${(err as Error).message}; skipped it, continuing with the next file`);
      return;
    }
    const reason = err instanceof Error ? err.message : String(err);
    this.warn(
      `"${entry.path}" is truncated or corrupt (${reason}): read ${decoded} bytes of its content, skipped the rest, continuing with the next file`,
    );
  }
}

async function* rawChunks(file: OpenLogFile, offset: number): AsyncGenerator<Buffer> {
  const buf = Buffer.allocUnsafe(READ_SIZE);
  for (let position = offset; ;) {
    let bytesRead: number;
    try {
      ({ bytesRead } = await file.handle.read(buf, 0, READ_SIZE, position));
    } catch (err) {
      throw new Error(`failed to read log file "${file.path}" at byte ${position}`, { cause: err });
    }
    if (bytesRead === 0) return;
    position += bytesRead;
    yield buf.subarray(0, bytesRead);
  }
}

async function findCompressedTwin(raw: string): Promise<{ path: string; codec: CodecName } | null> {
  for (const codec of Object.keys(CODEC_SUFFIX) as CodecName[]) {
    const candidate = raw + CODEC_SUFFIX[codec];
    try {
      if ((await fsp.lstat(candidate)).isFile()) return { path: candidate, codec };
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw new Error(`failed to stat "${candidate}"`, { cause: err });
    }
  }
  return null;
}
