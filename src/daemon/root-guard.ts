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
 * Why a runtime's log path is refused before any root is compared, or `null` when it is an absolute,
 * normalized path to a file. A `..` is refused outright rather than resolved: the kernel follows a
 * symlink before it applies the `..` after it, so `<root>/<link>/../x` may lie anywhere.
 */
export function pathProblem(logPath: string): string | null {
  if (typeof logPath !== 'string' || logPath === '') return 'it is empty';
  if (!path.isAbsolute(logPath)) return 'it is not absolute';
  if (logPath.includes('\0')) return 'it contains a NUL byte';
  if (logPath.endsWith('/')) return 'it ends with "/"';
  if (path.normalize(logPath) !== logPath) return 'it is not normalized ("." or ".." segments, or "//")';
  return null;
}

/**
 * The path the manager may work on: the log's directory with every symlink resolved, plus the log's
 * name, when that directory lies inside a resolved root; `null` when it leads outside. A directory that
 * does not exist (yet) falls back to the lexical answer: there is nothing to follow. Working on the
 * resolved directory means a symlink swapped into the path after this check is not followed either.
 *
 * @param realRoots the roots already resolved (see `resolveRoots`), to save two calls per check.
 */
export async function verifiedLogPath(
  logPath: string,
  roots: readonly string[],
  realRoots?: readonly string[],
): Promise<string | null> {
  if (pathProblem(logPath) !== null || !isUnderRoots(logPath, roots)) return null;
  let dir: string;
  try {
    dir = await fsp.realpath(path.dirname(logPath));
  } catch {
    return logPath;
  }
  const inside = (realRoots ?? (await resolveRoots(roots))).some((root) => {
    const prefix = root.endsWith(path.sep) ? root : root + path.sep;
    return dir === root || dir.startsWith(prefix);
  });
  return inside ? path.join(dir, path.basename(logPath)) : null;
}

/** True when `verifiedLogPath` finds the log inside the roots. */
export async function isReallyUnderRoots(
  logPath: string,
  roots: readonly string[],
  realRoots?: readonly string[],
): Promise<boolean> {
  return (await verifiedLogPath(logPath, roots, realRoots)) !== null;
}

/** The roots with every symlink resolved (a root that cannot be resolved stays as written). */
export function resolveRoots(roots: readonly string[]): Promise<string[]> {
  return Promise.all(roots.map((r) => fsp.realpath(r).catch(() => path.resolve(r))));
}

/** Thrown by the guarded `containerStatus` for a container whose log lies outside the roots. */
export class OutsideRootsError extends CrilogError {
  constructor(
    readonly containerId: string,
    readonly logPath: string,
    readonly roots: readonly string[],
    /** Set when the path itself is malformed (relative, `..`, `//`), whatever the roots. */
    readonly problem: string | null = null,
  ) {
    super(
      'ERR_UNSAFE_PATH',
      problem
        ? `log path ${JSON.stringify(logPath)} of container "${containerId}" is refused: ${problem}; ` +
            'crilog only manages absolute, normalized log paths and leaves this one untouched. The runtime reported it: check the container runtime'
        : `log path "${logPath}" of container "${containerId}" is outside the allowed log roots (${roots.join(', ')}); ` +
            'crilog leaves it untouched. Add its directory with --log-root (logRoots in the config) if crilog should manage it',
    );
  }
}

/**
 * Wraps a runtime so that the manager never sees a container whose log lies outside the allowed roots,
 * or whose path is not absolute and normalized; an allowed log's path comes back with its directory
 * resolved, so everything the check does happens in the directory that was verified. A refused
 * container's status (which every rotation, reopen and clean starts from) fails with `OutsideRootsError`, and
 * `onRefused` is told once per container and path so the daemon can warn without repeating itself.
 */
export class RootGuardRuntime implements RuntimeService {
  readonly #warned = new Set<string>();
  /**
   * The last status of each container, as the guard answered it (verified path) or refused it: what
   * `known()` serves, and what lets a reopen go without an extra round trip.
   */
  readonly #last = new Map<string, ContainerStatus | OutsideRootsError>();
  #lastList: ContainerInfo[] = [];
  /** Resolved roots, refreshed at every list (the scheduler lists on log-root changes and every
   * `listEvery` intervals) rather than resolved per check. */
  #realRoots: Promise<string[]> | undefined;

  constructor(
    readonly inner: RuntimeService,
    readonly roots: readonly string[],
    private readonly onRefused: (error: OutsideRootsError) => void = () => {},
  ) {}

  async listContainers(): Promise<ContainerInfo[]> {
    const list = await this.inner.listContainers();
    this.#realRoots = resolveRoots(this.roots);
    // Forget removed containers so the sets follow the node's churn instead of growing.
    const present = new Set(list.map((c) => c.id));
    for (const id of this.#last.keys()) if (!present.has(id)) this.#last.delete(id);
    this.#lastList = list;
    for (const key of this.#warned)
      if (!present.has(key.slice(0, key.indexOf('\0')))) this.#warned.delete(key);
    return list;
  }

  async containerStatus(id: string): Promise<ContainerStatus> {
    const status = await this.inner.containerStatus(id);
    this.#realRoots ??= resolveRoots(this.roots);
    const problem = pathProblem(status.logPath);
    const verified = problem
      ? null
      : await verifiedLogPath(status.logPath, this.roots, await this.#realRoots);
    if (verified === null) {
      const error = new OutsideRootsError(id, status.logPath, this.roots, problem);
      this.#last.set(id, error);
      const key = `${id}\0${status.logPath}`;
      if (!this.#warned.has(key)) {
        this.#warned.add(key);
        this.onRefused(error);
      }
      throw error;
    }
    // The check works on the directory as resolved now, once, not on a path a symlink could redirect.
    const answer = verified === status.logPath ? status : { ...status, logPath: verified };
    this.#last.set(id, answer);
    return answer;
  }

  async reopenContainerLog(id: string): Promise<void> {
    // The manager reopens right after a status call; a direct caller gets the same check.
    if (!this.#lastAllowed(id)) await this.containerStatus(id);
    await this.inner.reopenContainerLog(id);
  }

  #lastAllowed(id: string): boolean {
    const last = this.#last.get(id);
    return last !== undefined && !(last instanceof OutsideRootsError);
  }

  /**
   * A view that answers from memory only: the latest list, and each container's latest status as this
   * guard answered it (a refused one fails with its `OutsideRootsError`, one not checked yet with
   * a plain error saying so). For `/status`, which must cost the runtime nothing per request.
   */
  known(): RuntimeService {
    return {
      listContainers: async () => this.#lastList,
      containerStatus: async (id) => {
        const last = this.#last.get(id);
        if (last instanceof OutsideRootsError) throw last;
        if (!last) throw new Error('not checked by a pass yet');
        return last;
      },
      reopenContainerLog: async () => {
        throw new Error('the known() view of the runtime cannot reopen logs');
      },
    };
  }
}
