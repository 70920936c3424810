import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { CrilogError } from '../errors/crilog-error.js';
import type { ContainerInfo, ContainerStatus, RuntimeService } from '../ports/runtime-service.js';

/**
 * True when `logPath` lies strictly inside one of `roots`, lexically after `path.resolve` (so `..`
 * segments cannot escape). This alone does not see symlinks; `isReallyUnderRoots` adds that.
 */
export function isUnderRoots(logPath: string, roots: readonly string[]): boolean {
  if (!path.isAbsolute(logPath)) return false;
  const resolved = path.resolve(logPath);
  return roots.some((root) => {
    const r = path.resolve(root);
    const prefix = r.endsWith(path.sep) ? r : r + path.sep;
    return resolved.startsWith(prefix) && resolved.length > prefix.length;
  });
}

/**
 * The lexical check, plus: the log's directory, with every symlink resolved, must still lie inside the
 * resolved root. A symlinked directory inside a root that points elsewhere is refused. A directory that
 * does not exist (yet) falls back to the lexical answer: there is nothing to follow.
 *
 * @param realRoots the roots already resolved (see `resolveRoots`), to save two calls per check.
 */
export async function isReallyUnderRoots(
  logPath: string,
  roots: readonly string[],
  realRoots?: readonly string[],
): Promise<boolean> {
  if (!isUnderRoots(logPath, roots)) return false;
  let dir: string;
  try {
    dir = await fsp.realpath(path.dirname(path.resolve(logPath)));
  } catch {
    return true;
  }
  return (realRoots ?? (await resolveRoots(roots))).some((root) => {
    const prefix = root.endsWith(path.sep) ? root : root + path.sep;
    return dir === root || dir.startsWith(prefix);
  });
}

/** Thrown by the guarded `containerStatus` for a container whose log lies outside the roots. */
/** The roots with every symlink resolved (a root that cannot be resolved stays as written). */
export function resolveRoots(roots: readonly string[]): Promise<string[]> {
  return Promise.all(roots.map((r) => fsp.realpath(r).catch(() => path.resolve(r))));
}

export class OutsideRootsError extends CrilogError {
  constructor(
    readonly containerId: string,
    readonly logPath: string,
    readonly roots: readonly string[],
  ) {
    super(
      'ERR_UNSAFE_PATH',
      `log path "${logPath}" of container "${containerId}" is outside the allowed log roots (${roots.join(', ')}); ` +
        'crilog leaves it untouched. Add its directory with --log-root (logRoots in the config) if crilog should manage it',
    );
  }
}

/**
 * Wraps a runtime so that the manager never sees a container whose log lies outside the allowed roots:
 * its status (which every rotation, reopen and clean starts from) fails with `OutsideRootsError`, and
 * `onRefused` is told once per container and path so the daemon can warn without repeating itself.
 */
export class RootGuardRuntime implements RuntimeService {
  readonly #warned = new Set<string>();
  /** Containers whose last status was inside the roots: their reopen needs no extra round trip. */
  readonly #allowed = new Set<string>();
  /** Resolved roots, refreshed at every list (once per interval) rather than resolved per check. */
  #realRoots: Promise<string[]> | undefined;

  constructor(
    readonly inner: RuntimeService,
    readonly roots: readonly string[],
    private readonly onRefused: (error: OutsideRootsError) => void = () => {},
  ) {}

  async listContainers(): Promise<ContainerInfo[]> {
    const list = await this.inner.listContainers();
    this.#realRoots = resolveRoots(this.roots);
    // Forget removed containers so the set follows the node's churn instead of growing.
    const present = new Set(list.map((c) => c.id));
    for (const id of this.#allowed) if (!present.has(id)) this.#allowed.delete(id);
    return list;
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const status = await this.inner.containerStatus(id);
    this.#realRoots ??= resolveRoots(this.roots);
    if (!(await isReallyUnderRoots(status.logPath, this.roots, await this.#realRoots))) {
      this.#allowed.delete(id);
      const error = new OutsideRootsError(id, status.logPath, this.roots);
      const key = `${id}\0${status.logPath}`;
      if (!this.#warned.has(key)) {
        this.#warned.add(key);
        this.onRefused(error);
      }
      throw error;
    }
    this.#allowed.add(id);
    return status;
  }

  async reopenContainerLog(id: string): Promise<void> {
    // The manager reopens right after a status call; a direct caller gets the same check.
    if (!this.#allowed.has(id)) await this.containerStatus(id);
    await this.inner.reopenContainerLog(id);
  }
}
