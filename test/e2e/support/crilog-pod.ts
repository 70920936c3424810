import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { getAllLogs } from '../../../src/index.js';
import type { CriTestClient } from '../../helpers/cri-test-client.js';
import { loadManifests } from '../../deploy/deploy-files.js';
import { locate } from '../../deploy/deployment-checks.js';
import type { ContainerdHarness } from '../../helpers/containerd.js';
import { readLogText } from './log-check.js';
import { kubeletView, type KubeletView } from './pod-from-manifest.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- parsed manifests and log lines */

const run = promisify(execFile);

/** `ctr images import` into the harness's CRI namespace, as an operator loads an image on a node. */
export async function importImage(h: ContainerdHarness, archive: string): Promise<string> {
  let snapshotter = 'overlayfs';
  try {
    snapshotter = JSON.parse(await fsp.readFile(path.join(h.dir!, 'timings.json'), 'utf8')).snapshotter;
  } catch {
    // a harness without timings uses the default
  }
  const { stdout } = await run('ctr', [
    '--address',
    h.socketPath,
    '-n',
    'k8s.io',
    'images',
    'import',
    '--snapshotter',
    snapshotter,
    archive,
  ]);
  return stdout;
}

/** A TCP port free on loopback right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * The node this harness plays: where the DaemonSet's hostPath volumes point, and the config the
 * ConfigMap holds, with the harness's substitutions (see `startCrilogPod`).
 */
export interface PodNode {
  /** Stands for the node's /var/log/pods: every workload sandbox logs below it. */
  podLogsDir: string;
  /** The harness's containerd socket folder, which stands for /run/containerd. */
  socketDir: string;
  /** Folder holding the rendered config.yaml (the ConfigMap volume). */
  configDir: string;
  port: number;
  /** The manifests' parts, as read from deploy/kubernetes. */
  podSpec: any;
  config: any;
}

/**
 * Reads deploy/kubernetes and writes the ConfigMap's config.yaml for this node. What differs from a
 * cluster, and why:
 * - `logRoots` and the pod-logs mount use `podLogsDir` instead of /var/log/pods (the Helm chart's
 *   `podLogsDir` value does the same): containerd reports host paths, so the directory must have the
 *   same path inside the pod as outside, and the tests must not write to the machine's /var/log/pods;
 * - `metricsAddress` is 127.0.0.1 and a free port: sandboxes share the host network (no CNI), where
 *   0.0.0.0:9753 would open a fixed port on every interface of the machine;
 * - `overrides` (small sizes, a short interval) so that rotations happen within seconds.
 */
export async function preparePodNode(
  root: string,
  h: ContainerdHarness,
  overrides: Record<string, unknown>,
): Promise<PodNode> {
  const { podSpec, config } = locate(loadManifests());
  const podLogsDir = path.join(root, 'var-log-pods');
  const configDir = path.join(root, 'configmap');
  await fsp.mkdir(podLogsDir, { recursive: true, mode: 0o755 });
  await fsp.mkdir(configDir, { recursive: true });
  const port = await freePort();
  const podLogsMount = podSpec.containers[0].volumeMounts.find((m: any) => m.name === 'pod-logs').mountPath;
  const rendered = {
    ...config,
    ...overrides,
    logRoots: config.logRoots.map((r: string) => (r === podLogsMount ? podLogsDir : r)),
    metricsAddress: `127.0.0.1:${port}`,
  };
  await fsp.writeFile(path.join(configDir, 'config.yaml'), stringify(rendered));
  return { podLogsDir, socketDir: path.dirname(h.socketPath), configDir, port, podSpec, config: rendered };
}

/** One crilog pod, running. */
export interface CrilogPod {
  podId: string;
  containerId: string;
  view: KubeletView;
  /** crilog's own CRI log (its stdout). */
  logPath: string;
  /** crilog's JSON log lines so far. */
  logLines(): Promise<any[]>;
  /** Folders of its emptyDirs (removed by `cleanup`). */
  cleanup(): Promise<void>;
}

async function emptyDir(
  root: string,
  name: string,
  volume: any,
): Promise<{ dir: string; undo: () => Promise<void> }> {
  const dir = path.join(root, name);
  await fsp.mkdir(dir, { recursive: true });
  // The kubelet creates emptyDirs world-writable; medium Memory is a tmpfs limited to sizeLimit.
  if (volume.emptyDir.medium === 'Memory') {
    const size = volume.emptyDir.sizeLimit
      ? `,size=${String(volume.emptyDir.sizeLimit).replace(/i$/, '').toLowerCase()}`
      : '';
    await run('mount', ['-t', 'tmpfs', '-o', `mode=0777${size}`, 'tmpfs', dir]);
    return { dir, undo: () => run('umount', [dir]).then(() => undefined) };
  }
  await fsp.chmod(dir, 0o777);
  return { dir, undo: async () => {} };
}

/**
 * Starts the DaemonSet's pod on the harness as the kubelet would: a sandbox, then the crilog
 * container from the manifest's spec, with hostPath volumes mapped onto `node`, the ConfigMap as a
 * folder, and fresh emptyDirs (`name` keeps each pod's apart).
 */
export async function startCrilogPod(
  client: CriTestClient,
  h: ContainerdHarness,
  node: PodNode,
  root: string,
  name: string,
): Promise<CrilogPod> {
  const podRoot = path.join(root, name);
  const uid = randomUUID();
  // As on a node: crilog's own log is one of those it manages.
  const logDirectory = path.join(node.podLogsDir, `crilog_${name}_${uid}`);
  await fsp.mkdir(logDirectory, { recursive: true });
  const undo: (() => Promise<void>)[] = [];
  const volumes: Record<string, string> = {};
  for (const v of node.podSpec.volumes) {
    if (v.hostPath) {
      if (v.hostPath.path === '/var/log/pods') volumes[v.name] = node.podLogsDir;
      else if (v.hostPath.path === '/run/containerd') volumes[v.name] = node.socketDir;
      else throw new Error(`hostPath ${v.hostPath.path} has no stand-in in the harness`);
    } else if (v.configMap) volumes[v.name] = node.configDir;
    else if (v.emptyDir) {
      const e = await emptyDir(podRoot, `volume-${v.name}`, v);
      volumes[v.name] = e.dir;
      undo.push(e.undo);
    } else throw new Error(`volume ${v.name} has a kind the harness does not provide`);
  }
  const view = kubeletView(node.podSpec, 'crilog', {
    podName: name,
    uid,
    namespace: 'crilog',
    logDirectory,
    cgroupParent: h.cgroupParent,
    volumes,
    mountPathOverrides: { '/var/log/pods': node.podLogsDir },
    ports: { metrics: node.port },
    podIP: '127.0.0.1',
  });
  const podId = await client.runPodSandbox(view.sandbox);
  const containerId = await client.createContainer(podId, view.container, view.sandbox);
  await client.startContainer(containerId);
  const logPath = path.join(logDirectory, view.container.log_path!);
  return {
    podId,
    containerId,
    view,
    logPath,
    async logLines() {
      let text = '';
      for (const f of await getAllLogs(logPath)) text += await readLogText(f).catch(() => '');
      const out: any[] = [];
      for (const line of text.split('\n')) {
        const m = /^\S+ (?:stdout|stderr) F (.*)$/.exec(line);
        if (!m) continue;
        try {
          out.push(JSON.parse(m[1]!));
        } catch {
          out.push({ level: 'text', msg: m[1] });
        }
      }
      return out;
    },
    async cleanup() {
      await client.stopPodSandbox(podId).catch(() => {});
      await client.removePodSandbox(podId).catch(() => {});
      for (const u of undo) await u().catch(() => {});
    },
  };
}
