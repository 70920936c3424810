import { promises as fsp } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAllLogs } from '../../src/index.js';
import { CriTestClient } from '../helpers/cri-test-client.js';
import { skipE2eUnlessContainerd, useContainerd, type ContainerdHarness } from '../helpers/containerd.js';
import { checkInvariants, describeScan } from '../helpers/crash-logs.js';
import { buildImage, type BuiltImage } from '../helpers/image.js';
import {
  importImage,
  preparePodNode,
  startCrilogPod,
  type CrilogPod,
  type PodNode,
} from './support/crilog-pod.js';
import { runProbe } from './support/pod-from-manifest.js';
import { countersInOutput } from './support/log-check.js';
import { BURST_COUNTER, startWorkload, waitFor, type Workload } from './support/workload.js';

/* eslint-disable @typescript-eslint/no-explicit-any -- log lines and exec output */

/** A slower writer (about 25 KiB/s): a few rotations only, so its first rotation is never trimmed. */
const SLOW_COUNTER =
  'i=0; while :; do j=0; while [ $j -lt 10 ]; do echo "line $i"; i=$((i+1)); j=$((j+1)); done; usleep 20000; done';
const MAX_FILES = 5;
const NON_ROOT = 1234;

/** Runs a node script inside the crilog container (no shell in the image) and parses its JSON output. */
async function execJson(
  client: CriTestClient,
  id: string,
  script: string,
  args: string[] = [],
): Promise<any> {
  const res = await client.execSync(id, ['node', '-e', script, ...args], 60);
  const out = res.stdout.toString('utf8');
  if (res.exit_code !== 0) throw new Error(`exec exited ${res.exit_code}: ${res.stderr.toString('utf8')}`);
  return JSON.parse(out);
}

// What the process inside the pod is allowed: its credentials, and which writes work.
const PRIVILEGES_SCRIPT = `
const fs = require('fs');
const status = Object.fromEntries(fs.readFileSync('/proc/self/status', 'utf8').split('\\n')
  .map((l) => l.split(':\\t')).filter((p) => p.length === 2).map(([k, v]) => [k, v.trim()]));
const tryWrite = (p) => { try { fs.writeFileSync(p, 'x'); fs.unlinkSync(p); return 'ok'; } catch (e) { return e.code; } };
const writes = Object.fromEntries(process.argv.slice(1).map((p) => [p, tryWrite(p)]));
const root = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').map((l) => l.split(' ')).find((f) => f[4] === '/');
console.log(JSON.stringify({ status, writes, rootOptions: root[5] }));
`;

/**
 * crilog's DaemonSet pod, from the image scripts/image.sh builds, under a real containerd: the pod's
 * security context, mounts, env, args, ports and probes come from deploy/kubernetes (see
 * support/pod-from-manifest.ts for the translation and support/crilog-pod.ts for what the harness
 * substitutes: a host network, a loopback port, a temp folder for /var/log/pods).
 */
describe.skipIf(skipE2eUnlessContainerd())('the DaemonSet pod under containerd', () => {
  // Private: the outage case stops containerd.
  const suite = useContainerd({ shared: false });
  let image: BuiltImage;
  let root: string;
  let h: ContainerdHarness;
  let client: CriTestClient;
  let node: PodNode;
  let pod: CrilogPod | undefined;
  const cleanups: (() => Promise<unknown>)[] = [];
  const workloads: Workload[] = [];

  beforeAll(async () => {
    const t0 = Date.now();
    image = await buildImage();
    console.info(
      `[e2e] image ${image.ref}: ${(image.uncompressedBytes / 1e6).toFixed(1)} MB unpacked, ` +
        `${(image.compressedLayerBytes / 1e6).toFixed(1)} MB compressed (ready in ${Date.now() - t0} ms)`,
    );
    root = await fsp.mkdtemp(path.join(os.tmpdir(), 'crilog-e2e-pod-'));
  }, 900_000);

  afterAll(async () => {
    while (cleanups.length) await cleanups.pop()!().catch(() => {});
    if (root) await fsp.rm(root, { recursive: true, force: true });
  }, 120_000);

  it('imports the image and runs crilog in the pod the manifest describes', async (ctx) => {
    h = suite.get(ctx);
    client = new CriTestClient({ endpoint: h.endpoint });
    cleanups.push(async () => client.close());
    cleanups.push(() => client.removeAll({ 'crilog-e2e': 'true' }));
    const imported = await importImage(h, image.archive);
    expect(imported).toContain(image.ref);

    // policyCompression: the operator allows zstd, which the private workload's annotation asks for.
    node = await preparePodNode(root, h, {
      maxSize: '64Ki',
      monitorInterval: '1s',
      policyCompression: ['gzip', 'zstd', 'none'],
    });
    // Workloads in sandboxes of their own, logging below the node's pod log folder.
    const fast = await startWorkload(client, h, {
      // a name no other e2e file uses: `crilog logs` selects this pod by it
      name: 'dsfast',
      script: BURST_COUNTER,
      podLogsDir: node.podLogsDir,
    });
    // A log that is not root's and private: crilog needs DAC_OVERRIDE to enter its folder and read
    // it, CHOWN and FOWNER to give its compressed copy the same owner and mode; zstd by annotation,
    // so the native binding loads inside the read-only pod.
    const priv = await startWorkload(client, h, {
      name: 'private',
      script: SLOW_COUNTER,
      podLogsDir: node.podLogsDir,
      annotations: { 'crilog.io/compression': 'zstd' },
    });
    workloads.push(fast, priv);
    await fsp.chown(priv.logPath, NON_ROOT, NON_ROOT);
    await fsp.chmod(priv.logPath, 0o600);
    await fsp.chown(path.dirname(priv.logPath), NON_ROOT, NON_ROOT);
    await fsp.chmod(path.dirname(priv.logPath), 0o700);

    pod = await startCrilogPod(client, h, node, root, 'crilog-a');
    cleanups.push(() => pod!.cleanup());
    const { readiness, liveness } = pod.view.probes;
    await waitFor('the readiness probe to pass', async () => (await runProbe(readiness, '127.0.0.1')).ok, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });
    expect((await runProbe(liveness, '127.0.0.1')).ok).toBe(true);
    const status = await client.criContainerStatus(pod.containerId);
    expect(status.state).toBe('CONTAINER_RUNNING');
  }, 180_000);

  it('rotates, compresses and trims the workloads inside the pod, keeping owners and modes', async () => {
    const [fast, priv] = workloads as [Workload, Workload];
    const rotated = new Set<string>();
    await waitFor(
      `${MAX_FILES + 2} rotations of the fast writer`,
      async () => {
        for (const f of (await getAllLogs(fast.logPath)).slice(0, -1)) rotated.add(f.replace(/\.gz$/, ''));
        return rotated.size >= MAX_FILES + 2;
      },
      { timeoutMs: 120_000, intervalMs: 200 },
    );
    const firstPrivate = await waitFor(
      'the private log rotated and compressed with zstd',
      async () => (await getAllLogs(priv.logPath)).find((f) => f.endsWith('.zst')),
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    const st = await fsp.stat(firstPrivate);
    expect({ uid: st.uid, gid: st.gid, mode: st.mode & 0o777 }).toEqual({
      uid: NON_ROOT,
      gid: NON_ROOT,
      mode: 0o600,
    });

    for (const w of workloads) await w.stop();
    for (const w of workloads)
      await waitFor(
        'a workload exited',
        async () => (await client.containerStatus(w.containerId)).state === 'exited',
      );
    const fastCheck = await checkInvariants(fast.logPath, {
      maxFiles: MAX_FILES,
      complete: false,
      written: 'max',
    });
    expect(fastCheck.violations, describeScan(fastCheck.scan)).toEqual([]);
    expect(fastCheck.scan.data.some((d) => d.codec === 'gzip')).toBe(true);
    const privCheck = await checkInvariants(priv.logPath, {
      maxFiles: MAX_FILES,
      complete: false,
      written: 'max',
    });
    expect(privCheck.violations, describeScan(privCheck.scan)).toEqual([]);
    // Every compressed file has the owner and mode of the file it replaced: the live log's at rotation.
    const live = await fsp.stat(fast.logPath);
    for (const d of fastCheck.scan.data) {
      const s = await fsp.stat(d.path);
      expect({ file: d.path, uid: s.uid, mode: s.mode & 0o777 }).toEqual({
        file: d.path,
        uid: live.uid,
        mode: live.mode & 0o777,
      });
    }
    const errors = (await pod!.logLines()).filter((l) => l.level === 'error' || l.level === 'fatal');
    expect(errors).toEqual([]);
  }, 240_000);

  it('keeps the root filesystem read-only and allows no write outside the mounts', async () => {
    const id = pod!.containerId;
    const inside = path.join(node.podLogsDir, 'probe');
    const r = await execJson(client, id, PRIVILEGES_SCRIPT, [
      '/probe',
      '/etc/crilog/probe',
      '/run/containerd/probe',
      '/opt/crilog/probe',
      '/usr/local/bin/probe',
      '/tmp/probe',
      '/run/crilog/probe',
      inside,
    ]);
    expect(r.rootOptions.split(',')).toContain('ro');
    expect(r.writes).toEqual({
      '/probe': 'EROFS',
      '/etc/crilog/probe': 'EROFS',
      '/run/containerd/probe': 'EROFS',
      '/opt/crilog/probe': 'EROFS',
      '/usr/local/bin/probe': 'EROFS',
      '/tmp/probe': 'ok',
      '/run/crilog/probe': 'ok',
      [inside]: 'ok',
    });
    // uid 0 with exactly CHOWN (0), DAC_OVERRIDE (1) and FOWNER (3), no way to gain more, seccomp on.
    expect(r.status.Uid.split(/\s+/)[0]).toBe('0');
    expect(r.status.CapEff).toBe('000000000000000b');
    expect(r.status.CapBnd).toBe('000000000000000b');
    expect(r.status.CapAmb).toBe('0000000000000000');
    expect(r.status.NoNewPrivs).toBe('1');
    expect(r.status.Seccomp).toBe('2');
    // crilog itself never wrote to the root filesystem: nothing in its log says it tried.
    const lines = await pod!.logLines();
    expect(lines.filter((l) => JSON.stringify(l).includes('EROFS'))).toEqual([]);
  }, 60_000);

  it("reads a workload's whole history with `crilog logs` run inside the pod (CRI ExecSync)", async () => {
    const [fast] = workloads as [Workload];
    const res = await client.execSync(pod!.containerId, ['crilog', 'logs', '--path', fast.logPath], 120);
    expect(res.stderr.toString('utf8')).toBe('');
    expect(res.exit_code).toBe(0);
    const fromPod = countersInOutput(res.stdout);
    const onDisk = await checkInvariants(fast.logPath, {
      maxFiles: MAX_FILES,
      complete: false,
      written: 'max',
    });
    expect(fromPod.length).toBeGreaterThan(1000);
    expect(fromPod).toEqual(onDisk.history.numbers);

    // As docs/kubernetes.md shows it: by pod, namespace and container, the runtime endpoint and log
    // roots taken from the daemon's own /etc/crilog/config.yaml.
    const byName = await client.execSync(
      pod!.containerId,
      ['crilog', 'logs', 'e2e-dsfast', '-n', 'default', '-c', 'dsfast', '--tail', '500'],
      120,
    );
    expect(byName.stderr.toString('utf8')).toBe('');
    expect(byName.exit_code).toBe(0);
    const tail = countersInOutput(byName.stdout);
    expect(tail.length).toBe(500);
    expect(tail.every((n, i) => i === 0 || n === tail[i - 1]! + 1)).toBe(true);
    expect(tail[0]).toBeGreaterThan(fromPod.at(-1)! - 500);
  }, 180_000);

  it('answers the probes from the harness; /readyz turns false while containerd is gone', async () => {
    const { readiness, liveness } = pod!.view.probes;
    expect((await runProbe(readiness, '127.0.0.1')).ok).toBe(true);
    await h.stopDaemon();
    try {
      const down = await waitFor(
        'the readiness probe to fail',
        async () => {
          const p = await runProbe(readiness, '127.0.0.1');
          return p.status >= 400 ? p : undefined;
        },
        { timeoutMs: readiness.periodSeconds * readiness.failureThreshold * 1000, intervalMs: 200 },
      );
      expect(down.status).toBe(503);
      // Liveness must hold: a restart would not bring the runtime back.
      expect((await runProbe(liveness, '127.0.0.1')).ok).toBe(true);
    } finally {
      await h.startDaemon();
    }
    await waitFor(
      'the readiness probe to pass again',
      async () => (await runProbe(readiness, '127.0.0.1')).ok,
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
  }, 120_000);

  it('ends with status 0 within terminationGracePeriodSeconds; the next pod finds nothing to repair', async (ctx) => {
    h = suite.get(ctx);
    // A writer that keeps going across the handover, so the stop catches crilog at work.
    const busy = await startWorkload(client, h, {
      name: 'handover',
      script: BURST_COUNTER,
      podLogsDir: node.podLogsDir,
    });
    workloads.push(busy);
    await waitFor(
      'a rotation of the handover writer',
      async () => (await getAllLogs(busy.logPath)).length >= 3,
      {
        timeoutMs: 60_000,
        intervalMs: 100,
      },
    );
    const grace = pod!.view.terminationGracePeriodSeconds;
    const t0 = Date.now();
    // The kubelet: StopContainer with the grace period, then StopPodSandbox.
    await client.stopContainer(pod!.containerId, grace);
    const stoppedMs = Date.now() - t0;
    await client.stopPodSandbox(pod!.podId);
    const status = await client.criContainerStatus(pod!.containerId);
    expect(status.state).toBe('CONTAINER_EXITED');
    expect(status.exit_code).toBe(0);
    expect(stoppedMs).toBeLessThan(grace * 1000);
    const first = await pod!.logLines();
    expect(first.at(-1)?.msg).toBe('stopped');

    // What the old pod left (the writer still runs): only states docs/recovery.md allows.
    for (const w of workloads) {
      const check = await checkInvariants(w.logPath, {
        maxFiles: MAX_FILES,
        complete: false,
        written: 'max',
      });
      expect(check.violations, `${w.logPath}: ${describeScan(check.scan)}`).toEqual([]);
    }

    // maxSurge 0: the successor starts after the old pod is gone, with fresh emptyDirs.
    const next = await startCrilogPod(client, h, node, root, 'crilog-b');
    cleanups.push(() => next.cleanup());
    await waitFor(
      'the successor to be ready',
      async () => (await runProbe(next.view.probes.readiness, '127.0.0.1')).ok,
      {
        timeoutMs: 60_000,
        intervalMs: 200,
      },
    );
    await waitFor(
      'the successor to rotate the handover writer',
      async () => (await next.logLines()).some((l) => l.msg === 'rotated' && l.id === busy.containerId),
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    await busy.stop();
    await waitFor(
      'the handover writer exited',
      async () => (await client.containerStatus(busy.containerId)).state === 'exited',
    );
    await client.stopContainer(next.containerId, next.view.terminationGracePeriodSeconds);
    expect((await client.criContainerStatus(next.containerId)).exit_code).toBe(0);
    const lines = await next.logLines();
    expect(lines.filter((l) => l.level === 'warn' || l.level === 'error' || l.level === 'fatal')).toEqual([]);
    const check = await checkInvariants(busy.logPath, {
      maxFiles: MAX_FILES,
      complete: false,
      written: 'max',
    });
    expect(check.violations, describeScan(check.scan)).toEqual([]);
  }, 240_000);
});
