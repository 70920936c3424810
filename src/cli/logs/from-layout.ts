import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { errnoCode } from '../../ports/file-system.js';
import {
  chooseContainers,
  describePod,
  TargetNotFoundError,
  type LogTarget,
  type Selection,
} from './target.js';

/** `<attempt>.log`, and its rotations `<attempt>.log.<stamp>[...]`. */
const ATTEMPT_FILE = /^(\d{1,9})\.log(?:\.|$)/;

async function entries(dir: string): Promise<import('node:fs').Dirent[]> {
  try {
    return await fsp.readdir(dir, { withFileTypes: true });
  } catch (err) {
    if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
    throw new Error(`failed to list log directory "${dir}"`, { cause: err });
  }
}

/** Attempt numbers that have a live or rotated log in a container directory, highest first. */
async function attempts(containerDir: string): Promise<number[]> {
  const seen = new Set<number>();
  for (const e of await entries(containerDir)) {
    const m = ATTEMPT_FILE.exec(e.name);
    if (m && !e.isDirectory()) seen.add(Number(m[1]));
  }
  return [...seen].sort((a, b) => b - a);
}

/**
 * The log of the attempt before the one `logPath` belongs to, in the kubelet's layout
 * (`.../<container>/<attempt>.log`): the highest attempt below it that left a live or rotated file.
 */
export async function previousLogPath(logPath: string): Promise<string | null> {
  const m = /^(\d{1,9})\.log$/.exec(path.basename(logPath));
  if (!m) return null;
  const dir = path.dirname(logPath);
  const prior = (await attempts(dir)).find((n) => n < Number(m[1]));
  return prior === undefined ? null : path.join(dir, `${prior}.log`);
}

/**
 * Resolves a pod and container by the kubelet's directory layout under the log roots,
 * `<namespace>_<pod>_<uid>/<container>/<attempt>.log`, for when the runtime cannot be asked. Names in
 * Kubernetes cannot contain `_`, so the directory name splits unambiguously. When a pod was recreated
 * (several UIDs), the directory written to last wins.
 */
export async function resolveFromLayout(roots: readonly string[], sel: Selection): Promise<LogTarget[]> {
  const wanted = `${sel.namespace}_${sel.name}_`;
  let best: { dir: string; mtimeMs: number } | null = null;
  for (const root of roots) {
    for (const entry of await entries(root)) {
      if (
        !entry.isDirectory() ||
        !entry.name.startsWith(wanted) ||
        entry.name.slice(wanted.length).includes('_')
      )
        continue;
      const dir = path.join(root, entry.name);
      const { mtimeMs } = await fsp.stat(dir);
      if (!best || mtimeMs > best.mtimeMs) best = { dir, mtimeMs };
    }
  }
  if (!best) {
    throw new TargetNotFoundError(
      `no ${describePod(sel)}: no directory ${wanted}<uid> under ${roots.join(', ')}`,
    );
  }
  const podDir = best.dir;
  const containers: string[] = [];
  for (const e of await entries(podDir))
    if (e.isDirectory() && (await attempts(path.join(podDir, e.name))).length) containers.push(e.name);
  const targets: LogTarget[] = [];
  for (const name of chooseContainers(sel, containers, `${describePod(sel)} (${podDir})`)) {
    const dir = path.join(podDir, name);
    const [current, prior] = await attempts(dir);
    const attempt = sel.previous ? prior : current;
    if (attempt === undefined) {
      throw new TargetNotFoundError(
        `previous terminated container "${name}" in ${describePod(sel)} not found (only ${current}.log in ${dir})`,
      );
    }
    targets.push({
      logPath: path.join(dir, `${attempt}.log`),
      names: { namespace: sel.namespace, pod: sel.name, container: name },
      running: !sel.previous,
    });
  }
  return targets;
}
