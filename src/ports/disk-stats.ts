import { promises as fsp } from 'node:fs';

/** Space and inodes of one filesystem, as `statfs` reports them. */
export interface DiskStats {
  /** Bytes an unprivileged writer may still use (`f_bavail`), what a runtime's writes can fill. */
  bytesFree: number;
  bytesTotal: number;
  inodesFree: number;
  inodesTotal: number;
}

/** Filesystem-level questions, as a port so tests can simulate a filling disk. */
export interface DiskStatsPort {
  /** Space and inodes of the filesystem holding `path` (symlinks followed). */
  statfs(path: string): Promise<DiskStats>;
  /** Device id of the filesystem holding `path` (symlinks followed), to group paths by filesystem. */
  device(path: string): Promise<number>;
}

/** The real `statfs(2)` and `stat(2)`. */
export const nodeDiskStats: DiskStatsPort = {
  async statfs(path) {
    const s = await fsp.statfs(path);
    return {
      bytesFree: s.bavail * s.bsize,
      bytesTotal: s.blocks * s.bsize,
      inodesFree: s.ffree,
      inodesTotal: s.files,
    };
  },
  async device(path) {
    return (await fsp.stat(path)).dev;
  },
};
