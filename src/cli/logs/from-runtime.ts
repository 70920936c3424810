import path from 'node:path';
import { containerIdentity, type ContainerIdentity } from '../../ports/container-identity.js';
import type { ContainerInfo, RuntimeService } from '../../ports/runtime-service.js';
import { previousLogPath } from './from-layout.js';
import {
  chooseContainers,
  describePod,
  TargetNotFoundError,
  type LogTarget,
  type Selection,
} from './target.js';

/** A listed container with its Kubernetes names. */
interface Known {
  info: ContainerInfo;
  who: ContainerIdentity;
}

/**
 * Resolves a selection from the runtime's CRI metadata: a pod by name in its namespace first, else a
 * container ID or a unique prefix of one (as crictl accepts). The newest attempt of a container is
 * its current instance, the one before it `--previous`; a previous instance the runtime no longer
 * lists is found in the kubelet's `<attempt>.log` files beside the current one.
 */
export async function resolveFromRuntime(runtime: RuntimeService, sel: Selection): Promise<LogTarget[]> {
  const known: Known[] = (await runtime.listContainers()).map((info) => ({
    info,
    who: containerIdentity(info),
  }));
  let pod = known.filter((k) => k.who.pod === sel.name && k.who.namespace === sel.namespace);
  let podWord = describePod(sel);
  const elsewhere = [...new Set(known.filter((k) => k.who.pod === sel.name).map((k) => k.who.namespace))];
  if (pod.length === 0 && elsewhere.length > 0 && !known.some((k) => k.info.id === sel.name)) {
    // A pod of that name exists: the namespace is wrong, whatever IDs it also prefixes.
    throw new TargetNotFoundError(
      `no ${describePod(sel)}; a pod "${sel.name}" exists in namespace ${elsewhere.join(', ')}: pass -n`,
    );
  }
  if (pod.length === 0) {
    const byId = known.filter((k) => k.info.id === sel.name || k.info.id.startsWith(sel.name));
    if (byId.length > 1 && sel.name.length > 0) {
      throw new TargetNotFoundError(
        `"${sel.name}" is a prefix of ${byId.length} container IDs (${byId.map((k) => k.info.id.slice(0, 13)).join(', ')}); give more of the ID`,
      );
    }
    const hit = byId[0];
    if (!hit) {
      throw new TargetNotFoundError(
        `no ${describePod(sel)} and no container whose ID starts with "${sel.name}"`,
      );
    }
    // An ID picks one container; --previous still needs its siblings (same pod, same name).
    if (!sel.previous && sel.container === undefined) return [await target(runtime, hit, sel.name)];
    pod = hit.who.pod
      ? known.filter((k) => k.who.pod === hit.who.pod && k.who.namespace === hit.who.namespace)
      : [hit];
    podWord = hit.who.pod
      ? describePod({ name: hit.who.pod, namespace: hit.who.namespace })
      : `container ${hit.info.id}`;
    sel = { ...sel, container: sel.container ?? hit.who.container };
  }
  const names = chooseContainers(
    sel,
    pod.map((k) => k.who.container),
    podWord,
  );
  const targets: LogTarget[] = [];
  for (const name of names) {
    // Newest attempt first; a running instance before an exited one of the same attempt.
    const instances = pod
      .filter((k) => k.who.container === name)
      .sort(
        (a, b) =>
          b.who.attempt - a.who.attempt ||
          Number(b.info.state === 'running') - Number(a.info.state === 'running'),
      );
    const current = await target(runtime, instances[0]!, sel.name);
    if (!sel.previous) {
      targets.push(current);
      continue;
    }
    const prior = instances.find((k) => k.who.attempt < instances[0]!.who.attempt);
    if (prior) {
      targets.push({ ...(await target(runtime, prior, sel.name)), running: false });
      continue;
    }
    const logPath = await previousLogPath(current.logPath);
    if (!logPath) {
      throw new TargetNotFoundError(
        `previous terminated container "${name}" in ${podWord} not found (no earlier <attempt>.log beside ${current.logPath})`,
      );
    }
    targets.push({ logPath, names: current.names, running: false });
  }
  return targets;
}

async function target(runtime: RuntimeService, k: Known, asked: string): Promise<LogTarget> {
  const status = await runtime.containerStatus(k.info.id);
  if (!status.logPath || !path.isAbsolute(status.logPath)) {
    throw new TargetNotFoundError(
      `container ${k.info.id} ("${asked}") has no log file: the runtime reports ${status.logPath ? `the relative path "${status.logPath}"` : 'no log path'}`,
    );
  }
  return {
    logPath: status.logPath,
    names: k.who.pod ? { namespace: k.who.namespace, pod: k.who.pod, container: k.who.container } : null,
    containerId: k.info.id,
    running: status.state === 'running',
  };
}
