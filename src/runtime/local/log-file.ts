import { constants, promises as fsp } from 'node:fs';

/** The part of a file handle the CRI writer uses; Node's `FileHandle` satisfies it. */
export interface LogFile {
  write(buffer: Uint8Array): Promise<{ bytesWritten: number }>;
  close(): Promise<void>;
}

/** Opens (creating if needed) the log at `path` for appending; a port so tests can slow or fail the disk. */
export type LogFileOpener = (path: string) => Promise<LogFile>;

/** Mode of new log files, as containerd creates them. */
export const LOG_FILE_MODE = 0o640;

/** Opens `path` with `O_WRONLY|O_APPEND|O_CREAT` and mode 0640, like containerd's log file. */
export const openAppendLogFile: LogFileOpener = (path) =>
  fsp.open(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, LOG_FILE_MODE);
