import { hasErrorCode } from '../../errors/crilog-error.js';
import { containerIdentity } from '../../ports/container-identity.js';
import { errnoCode, nodeFileSystem, type FileSystem } from '../../ports/file-system.js';
import type { ContainerState, ContainerStatus, RuntimeService } from '../../ports/runtime-service.js';
import { resolvePolicy, type PolicyBounds, type RotationPolicy } from '../../policy/container-policy.js';
import { listLogFiles } from '../../rotation/log-files.js';
import { Limiter } from '../../util/limiter.js';
import { isUnderRoots, pathProblem } from '../root-guard.js';
import { gzipUncompressedSize } from './gzip-size.js';

/** One container in `crilog status` and `GET /status`. Sizes are bytes; `null` means unknown. */
export interface ContainerUsage {
  id: string;
  /** Container name from its labels, else the id shortened. */
  name: string;
  /** Kubernetes names from CRI metadata or kubelet labels (`crilog logs POD -n NAMESPACE -c CONTAINER`); empty when unknown. */
  namespace: string;
  pod: string;
  container: string;
  state: ContainerState;
  logPath: string | null;
  /** Running and inside the log roots: crilog rotates it. */
  managed: boolean;
  /** Why a row is not managed or incomplete. */
  note?: string;
  liveBytes: number | null;
  limitBytes: number;
  /** Live size divided by the limit; above 1 means the log overshot. */
  liveRatio: number | null;
  rotatedFiles: number;
  compressedFiles: number;
  /** Live log plus every rotated file. */
  bytesOnDisk: number;
  compressedBytes: number;
  /** What the compressed files hold once decompressed (gzip trailers); null when none could be read. */
  uncompressedBytes: number | null;
  /** `uncompressedBytes / compressedBytes`, e.g. 8 for 8:1; null without compressed files. */
  compressionRatio: number | null;
  /** When the newest rotated file was made (from its name), ISO 8601. */
  lastRotation: string | null;
  /** Rotations since the daemon started; only in a daemon's report. */
  rotations?: number;
}

/** What `collectUsage` returns; `GET /status` adds `daemon`. */
export interface UsageReport {
  generatedAt: string;
  source: 'runtime' | 'daemon';
  limits: { maxSize: number; maxFiles: number };
  logRoots: string[];
  containers: ContainerUsage[];
  totals: {
    containers: number;
    managed: number;
    rotatedFiles: number;
    bytesOnDisk: number;
    rotations?: number;
  };
  daemon?: {
    pid: number;
    startedAt: string;
    ready: boolean;
    runtime: string;
    readyError?: string;
    lastPass?: { at: string; durationMs: number; error?: string };
  };
}

/** Inputs of `collectUsage`. */
export interface CollectUsageOptions {
  runtime: RuntimeService;
  logRoots: readonly string[];
  maxSize: number;
  maxFiles: number;
  fs?: FileSystem;
  /**
   * The node policy, to show each container's own limit when `crilog.io/*` annotations override it.
   * Without it every row shows `maxSize`.
   */
  policy?: { node: RotationPolicy; annotations: boolean; bounds?: PolicyBounds };
  /** Files read at once. Default 16. */
  concurrency?: number;
  now?: Date;
}

const NAME_LABELS = ['io.kubernetes.container.name'];

/** `YYYYMMDD-hhmmss` (UTC, as crilog names rotations) to ISO 8601. */
export function stampToIso(stamp: string): string {
  return `${stamp.slice(0, 4)}-${stamp.slice(4, 6)}-${stamp.slice(6, 8)}T${stamp.slice(9, 11)}:${stamp.slice(11, 13)}:${stamp.slice(13, 15)}Z`;
}

/**
 * Builds the log usage report (`crilog status`, `GET /status`) of every container the runtime lists,
 * from the runtime and the files alone: it works without a daemon. Files are only `lstat`ed, listed and
 * (for gzip trailers) read, never changed; logs outside the roots are reported but not looked at.
 * Throws when the runtime cannot list containers.
 */
export async function collectUsage(options: CollectUsageOptions): Promise<UsageReport> {
  const fs = options.fs ?? nodeFileSystem;
  const limiter = new Limiter(options.concurrency ?? 16);
  const list = await options.runtime.listContainers();
  const rows = await Promise.all(
    list.map((listed) =>
      limiter.run(async (): Promise<ContainerUsage> => {
        const who = containerIdentity(listed);
        const name =
          who.container ||
          (NAME_LABELS.map((k) => listed.labels[k]).find((v) => v) ?? listed.id.slice(0, 13));
        const row: ContainerUsage = {
          id: listed.id,
          name,
          namespace: who.namespace,
          pod: who.pod,
          container: who.container,
          state: listed.state,
          logPath: null,
          managed: false,
          liveBytes: null,
          limitBytes: options.maxSize,
          liveRatio: null,
          rotatedFiles: 0,
          compressedFiles: 0,
          bytesOnDisk: 0,
          compressedBytes: 0,
          uncompressedBytes: null,
          compressionRatio: null,
          lastRotation: null,
        };
        try {
          const status = await options.runtime.containerStatus(listed.id);
          row.state = status.state;
          row.logPath = status.logPath;
          row.limitBytes = limitFor(status, options);
        } catch (err) {
          row.note = hasErrorCode(err, 'ERR_CONTAINER_NOT_FOUND')
            ? 'removed'
            : hasErrorCode(err, 'ERR_UNSAFE_PATH')
              ? 'outside log roots or not a normalized path: not managed'
              : `status failed: ${(err as Error).message}`;
          return row;
        }
        if (pathProblem(row.logPath) !== null || !isUnderRoots(row.logPath, options.logRoots)) {
          row.note = 'outside log roots: not managed';
          return row;
        }
        row.managed = row.state === 'running';
        await fillFiles(row, row.logPath, fs, row.limitBytes);
        return row;
      }),
    ),
  );
  return {
    generatedAt: (options.now ?? new Date()).toISOString(),
    source: 'runtime',
    limits: { maxSize: options.maxSize, maxFiles: options.maxFiles },
    logRoots: [...options.logRoots],
    containers: rows,
    totals: {
      containers: rows.length,
      managed: rows.filter((r) => r.managed).length,
      rotatedFiles: rows.reduce((n, r) => n + r.rotatedFiles, 0),
      bytesOnDisk: rows.reduce((n, r) => n + r.bytesOnDisk, 0),
    },
  };
}

function limitFor(status: ContainerStatus, options: CollectUsageOptions): number {
  const p = options.policy;
  return p?.annotations ? resolvePolicy(p.node, status, p.bounds).policy.maxSize : options.maxSize;
}

async function fillFiles(
  row: ContainerUsage,
  logPath: string,
  fs: FileSystem,
  maxSize: number,
): Promise<void> {
  try {
    const st = await fs.lstat(logPath);
    if (st.isFile()) {
      row.liveBytes = st.size;
      row.liveRatio = maxSize > 0 ? st.size / maxSize : null;
      row.bytesOnDisk += st.size;
    } else {
      row.note = 'live log is not a regular file';
    }
  } catch (err) {
    row.note =
      errnoCode(err) === 'ENOENT' ? 'live log missing' : `cannot stat live log: ${(err as Error).message}`;
  }
  let set;
  try {
    set = await listLogFiles(logPath, fs);
  } catch (err) {
    row.note = `cannot list rotated logs: ${(err as Error).message}`;
    return;
  }
  row.rotatedFiles = set.rotated.length;
  let uncompressed = 0;
  let known = 0;
  for (const rotated of set.rotated) {
    row.bytesOnDisk += rotated.size;
    if (rotated.codec === null) continue;
    row.compressedFiles++;
    row.compressedBytes += rotated.size;
    const isize =
      rotated.codec === 'gzip' ? await gzipUncompressedSize(rotated.path, rotated.size) : undefined;
    if (isize !== undefined) {
      uncompressed += isize;
      known += rotated.size;
    }
  }
  if (known > 0) {
    row.uncompressedBytes = uncompressed;
    row.compressionRatio = uncompressed / known;
  }
  const newest = set.rotated.at(-1);
  if (newest) row.lastRotation = stampToIso(newest.stamp);
}
