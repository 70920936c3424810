/** What `crilog logs POD [-c C] [-n NS]` asks for, before it is resolved. */
export interface Selection {
  /** Pod name, or a container ID or unique prefix of one. */
  name: string;
  namespace: string;
  container?: string;
  allContainers: boolean;
  previous: boolean;
}

/** Kubernetes names of a resolved container, for `--prefix` and messages. */
export interface TargetNames {
  namespace: string;
  pod: string;
  container: string;
}

/** One log history to read. */
export interface LogTarget {
  logPath: string;
  names: TargetNames | null;
  /** Runtime container ID when the runtime resolved it (a follow then ends when the container stops). */
  containerId?: string;
  /** The container is running; false for a previous instance (nothing follows it). */
  running: boolean;
}

/** kubectl's line prefix: `[pod/<pod>/<container>] `. */
export function targetPrefix(t: LogTarget): string {
  if (t.names) return `[pod/${t.names.pod}/${t.names.container}] `;
  if (t.containerId) return `[container/${t.containerId.slice(0, 13)}] `;
  return `[${t.logPath}] `;
}

/** `pod "p" in namespace "ns"`, for messages. */
export function describePod(s: Pick<Selection, 'name' | 'namespace'>): string {
  return `pod "${s.name}" in namespace "${s.namespace}"`;
}

/** Picks the container names to read from those a pod has, as kubectl does; throws with the choices. */
export function chooseContainers(sel: Selection, available: readonly string[], podWord: string): string[] {
  const names = [...new Set(available)].sort();
  if (sel.container !== undefined) {
    if (!names.includes(sel.container)) {
      throw new TargetNotFoundError(
        `container "${sel.container}" is not in ${podWord}; its containers: ${names.join(', ') || '(none)'}`,
      );
    }
    return [sel.container];
  }
  if (names.length === 1 || sel.allContainers) return names;
  throw new TargetNotFoundError(
    `${podWord} has ${names.length} containers, choose one with -c: ${names.join(', ')} (or pass --all-containers)`,
  );
}

/** The asked-for pod, container, ID or path does not exist; exit code 1. */
export class TargetNotFoundError extends Error {
  override name = 'TargetNotFoundError';
}
