import type { ContainerLogManager } from '../manager/container-log-manager.js';
import type { ManagerEvents, PassReport } from '../manager/types.js';
import type { Logger } from '../ports/logger.js';

type Listeners = { [E in keyof ManagerEvents]?: (...args: ManagerEvents[E]) => void };

/**
 * The manager logs nothing itself; this is where its events become log lines, the same for the daemon
 * and the one-shot commands. Each problem is logged once: a failed check as `container-error` (a
 * failed rotation is among its causes, so the `rotation` event only logs successes), warned again only
 * when the failure changes or the container recovered in between; bad annotations once per container
 * as the manager emits them. Returns a function that unsubscribes.
 */
export function logManagerEvents(manager: ContainerLogManager, log: Logger): () => void {
  /** Containers whose checks fail, with the last failure warned about: a lasting one is not repeated. */
  const failing = new Map<string, string>();
  const recovered = (report: PassReport) => {
    if (failing.size === 0 || report.error) return;
    const listed = new Set<string>();
    for (const c of report.containers) {
      listed.add(c.id);
      if (c.action !== 'failed') failing.delete(c.id);
    }
    for (const id of failing.keys()) if (!listed.has(id)) failing.delete(id);
  };
  const listeners: Listeners = {
    pass: recovered,
    'quick-pass': (e) => recovered(e.report),
    rotation: (e) => {
      if (e.outcome !== 'success') return;
      const durationMs = Math.round(e.durationMs * 1000) / 1000;
      log.info({ id: e.id, path: e.logPath, bytes: e.bytes, durationMs, rotatedTo: e.rotatedTo }, 'rotated');
    },
    'container-error': (e) => {
      const fields = { id: e.id, path: e.logPath, err: e.error };
      // Warned once per container and failure; the same failure at every later check is only debug.
      if (failing.get(e.id) === e.error.message) return log.debug(fields, 'container log still not managed');
      failing.set(e.id, e.error.message);
      log.warn(fields, 'container log not managed');
    },
    'task-error': (e) => log.error({ task: e.task, err: e.error }, e.error.message),
    compression: (e) => {
      if (e.outcome === 'success') {
        const { id, path, bytesIn, bytesOut } = e;
        log.debug({ id, path, bytesIn, bytesOut, durationMs: Math.round(e.durationMs) }, 'compressed');
      } else if (e.outcome === 'skipped')
        log.debug({ id: e.id, path: e.path }, 'rotated file removed before it was compressed');
      else
        log.warn(
          { id: e.id, path: e.path, err: e.error },
          'compression failed; the raw file stays and is retried next pass',
        );
    },
    budget: (e) => {
      const fields = {
        limitBytes: e.limitBytes,
        usedBytes: e.usedBytes,
        removed: e.removed,
        ...(e.rotated?.length ? { rotatedEarly: e.rotated } : {}),
      };
      if (e.usedBytes > e.limitBytes)
        log.warn(
          fields,
          'over the node log budget with only live logs left to delete; live logs are never deleted',
        );
      else if (e.removed.length > 0 || (e.rotated?.length ?? 0) > 0)
        log.info(fields, 'deleted the oldest rotated logs to stay within the node log budget');
    },
    'policy-error': (e) =>
      log.warn(
        { id: e.id, problems: e.problems },
        'invalid crilog.io policy annotations; node defaults apply for those keys',
      ),
    'policy-clamped': (e) =>
      log.warn(
        {
          id: e.id,
          clamped: e.clamped.map(({ annotation, value, bound, used }) => ({
            annotation,
            value,
            bound,
            used,
          })),
        },
        "crilog.io policy annotations beyond the operator's bounds; the bounds apply",
      ),
  };
  const on = manager.on.bind(manager) as (event: string, listener: (...args: never[]) => void) => unknown;
  const off = manager.off.bind(manager) as (event: string, listener: (...args: never[]) => void) => unknown;
  const entries = Object.entries(listeners) as [string, (...args: never[]) => void][];
  for (const [event, listener] of entries) on(event, listener);
  return () => {
    for (const [event, listener] of entries) off(event, listener);
  };
}
