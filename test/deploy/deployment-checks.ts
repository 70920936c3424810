/**
 * What a crilog deployment must get right beyond schema validity, checked the same
 * way for the plain manifests and for the rendered Helm chart. Each check returns a
 * message naming the object and the field, so a failing test says what to fix.
 */
import { parse } from 'yaml';
import { configProblems } from './crilog-config.js';
import { objectName, type K8sObject } from './k8s-schema.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- walking parsed YAML */

const ALLOWED_CAPABILITIES = new Set(['CHOWN', 'DAC_OVERRIDE', 'FOWNER']);

/** The parts of a deployment the checks and tests look at. */
export interface Deployment {
  daemonSet: any;
  podSpec: any;
  container: any;
  configMap: any;
  /** Parsed config.yaml of the ConfigMap the DaemonSet mounts. */
  config: any;
}

/** Finds the DaemonSet, its crilog container, its ConfigMap and parsed config. */
export function locate(objects: readonly K8sObject[]): Deployment {
  const daemonSets = objects.filter((o) => o.kind === 'DaemonSet');
  if (daemonSets.length !== 1) throw new Error(`expected one DaemonSet, found ${daemonSets.length}`);
  const daemonSet = daemonSets[0] as any;
  const podSpec = daemonSet.spec?.template?.spec;
  const container = podSpec?.containers?.find((c: any) => c.name === 'crilog');
  if (!container) throw new Error(`${objectName(daemonSet)} has no container named "crilog"`);
  const configVolume = podSpec.volumes?.find((v: any) => v.configMap);
  const configMap = objects.find(
    (o) => o.kind === 'ConfigMap' && o.metadata?.name === configVolume?.configMap?.name,
  );
  if (!configMap)
    throw new Error(`ConfigMap "${configVolume?.configMap?.name}" mounted by the DaemonSet is missing`);
  const text = (configMap as any).data?.['config.yaml'];
  if (typeof text !== 'string') throw new Error(`${objectName(configMap)} has no data."config.yaml"`);
  return { daemonSet, podSpec, container, configMap, config: parse(text, { uniqueKeys: true }) };
}

function portNumber(container: any, port: unknown): number | undefined {
  if (typeof port === 'number') return port;
  return container.ports?.find((p: any) => p.name === port)?.containerPort;
}

/** Returns every problem found; an empty list means the deployment passes. */
export function deploymentProblems(objects: readonly K8sObject[]): string[] {
  const { daemonSet, podSpec, container, config } = locate(objects);
  const problems: string[] = [];
  const where = `${objectName(daemonSet)} container crilog`;
  const fail = (message: string): void => void problems.push(`${where}: ${message}`);

  problems.push(...configProblems(config, 'ConfigMap config.yaml'));

  const args: string[] = container.args ?? [];
  const configArg = args.indexOf('--config');
  const configPath = configArg >= 0 ? args[configArg + 1] : undefined;
  const configMount = container.volumeMounts?.find(
    (m: any) => podSpec.volumes?.find((v: any) => v.name === m.name)?.configMap,
  );
  if (!configPath || !configMount || configPath !== `${configMount.mountPath}/config.yaml`) {
    fail(`args must pass --config <configMap mount>/config.yaml, got args ${JSON.stringify(args)}`);
  }

  // Probes and metrics: same port, the one config.yaml binds, on the pod IP.
  const metricsPort = portNumber(container, 'metrics');
  const bindMatch = /^(.*):(\d+)$/.exec(String(config?.metricsAddress ?? ''));
  if (metricsPort === undefined) fail('no container port named "metrics"');
  if (!bindMatch || bindMatch[1] !== '0.0.0.0' || Number(bindMatch[2]) !== metricsPort) {
    fail(
      `config metricsAddress ${JSON.stringify(config?.metricsAddress)} must be 0.0.0.0:<metrics port ${metricsPort}>`,
    );
  }
  for (const [probe, path] of [
    ['livenessProbe', '/healthz'],
    ['readinessProbe', '/readyz'],
  ] as const) {
    const get = container[probe]?.httpGet;
    if (get?.path !== path) fail(`${probe} must GET ${path}, got ${JSON.stringify(get)}`);
    else if (portNumber(container, get.port) !== metricsPort)
      fail(`${probe} port ${get.port} is not the metrics port`);
  }
  const annotations = daemonSet.spec.template.metadata?.annotations ?? {};
  // Scraped through exactly one discovery: a prometheus-operator monitor, or else the annotations.
  const monitor = objects.find((o) => o.kind === 'ServiceMonitor' || o.kind === 'PodMonitor');
  if (monitor && 'prometheus.io/scrape' in annotations) {
    fail(
      `pod annotations prometheus.io/* and ${monitor.kind} ${monitor.metadata?.name} would scrape each pod twice`,
    );
  } else if (
    !monitor &&
    (annotations['prometheus.io/scrape'] !== 'true' ||
      annotations['prometheus.io/port'] !== String(metricsPort))
  ) {
    fail(`pod annotations must have prometheus.io/scrape "true" and prometheus.io/port "${metricsPort}"`);
  }
  if (podSpec.hostNetwork) fail('hostNetwork would expose metrics bound to 0.0.0.0 on the node');

  // Privileges.
  const sc = container.securityContext ?? {};
  if (sc.readOnlyRootFilesystem !== true) fail('securityContext.readOnlyRootFilesystem must be true');
  if (sc.allowPrivilegeEscalation !== false) fail('securityContext.allowPrivilegeEscalation must be false');
  if (sc.privileged) fail('must not be privileged');
  if (!sc.capabilities?.drop?.includes('ALL')) fail('securityContext.capabilities.drop must include ALL');
  for (const cap of sc.capabilities?.add ?? []) {
    if (!ALLOWED_CAPABILITIES.has(cap)) fail(`capability ${cap} is not needed`);
  }
  if (podSpec.automountServiceAccountToken !== false) fail('automountServiceAccountToken must be false');

  // Host paths: every log root and the runtime socket directory, at the same path.
  const mountOf = (dir: string): { mount: any; volume: any } | undefined => {
    for (const mount of container.volumeMounts ?? []) {
      const volume = podSpec.volumes?.find((v: any) => v.name === mount.name);
      if (mount.mountPath === dir && volume?.hostPath?.path === dir) return { mount, volume };
    }
    return undefined;
  };
  for (const root of config?.logRoots ?? []) {
    const found = mountOf(root);
    if (!found) fail(`log root ${root} is not mounted from hostPath ${root}`);
    else if (found.mount.readOnly) fail(`log root ${root} must be mounted read-write`);
  }
  if (!config?.logRoots?.includes('/var/log/pods')) fail('config logRoots must include /var/log/pods');
  const socket = /^unix:\/\/(\/.+)\/[^/]+$/.exec(String(config?.runtimeEndpoint ?? ''));
  if (!socket || !mountOf(socket[1]!)) {
    fail(
      `the directory of runtimeEndpoint ${JSON.stringify(config?.runtimeEndpoint)} is not mounted from the host`,
    );
  }

  // A read-only root needs writable emptyDirs where crilog writes.
  for (const dir of ['/run/crilog', '/tmp']) {
    const mount = container.volumeMounts?.find((m: any) => m.mountPath === dir);
    const volume = podSpec.volumes?.find((v: any) => v.name === mount?.name);
    if (!volume?.emptyDir || mount.readOnly) fail(`${dir} must be a writable emptyDir`);
  }

  // Scheduling and resources.
  for (const kind of ['requests', 'limits']) {
    for (const resource of ['cpu', 'memory']) {
      if (container.resources?.[kind]?.[resource] === undefined)
        fail(`resources.${kind}.${resource} is not set`);
    }
  }
  if (!podSpec.tolerations?.some((t: any) => t.operator === 'Exists' && !t.key && !t.effect)) {
    fail('tolerations must include { operator: Exists } so that every node runs crilog');
  }
  if (podSpec.priorityClassName !== 'system-node-critical')
    fail('priorityClassName must be system-node-critical');
  const rolling = daemonSet.spec.updateStrategy?.rollingUpdate;
  if (rolling?.maxSurge !== undefined && rolling.maxSurge !== 0) {
    fail('updateStrategy.rollingUpdate.maxSurge must be 0: two pods on a node would rotate the same logs');
  }

  // Cross-object references.
  const saName = podSpec.serviceAccountName;
  const accounts = objects.filter((o) => o.kind === 'ServiceAccount');
  if (accounts.length > 0 && !accounts.some((a) => a.metadata?.name === saName)) {
    problems.push(
      `${objectName(daemonSet)}: serviceAccountName "${saName}" is not among the ServiceAccounts`,
    );
  }
  const ns = daemonSet.metadata?.namespace;
  for (const obj of objects) {
    if (obj.kind !== 'Namespace' && obj.metadata?.namespace !== ns) {
      problems.push(
        `${objectName(obj)}: namespace ${obj.metadata?.namespace} differs from the DaemonSet's ${ns}`,
      );
    }
  }
  const selector = daemonSet.spec.selector?.matchLabels ?? {};
  const labels = daemonSet.spec.template.metadata?.labels ?? {};
  for (const [k, v] of Object.entries(selector)) {
    if (labels[k] !== v)
      problems.push(`${objectName(daemonSet)}: selector ${k}=${String(v)} does not match the pod labels`);
  }
  return problems;
}
