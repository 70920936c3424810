import { execFileSync } from 'node:child_process';
import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import { connect, type Socket } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/settings/index.js';
import { Daemon } from '../../src/daemon/daemon.js';
import { ContainerLogManager, hasErrorCode, type RotationEvent } from '../../src/index.js';
import type { Logger } from '../../src/ports/logger.js';
import { LocalRuntime } from '../../src/runtime/local/index.js';
import { useBuiltCli } from '../cli/build-cli.js';
import { fakeFactory } from '../cli/cli-harness.js';
import { isolatedFlags, killDaemons, spawnDaemon, type LogLine } from '../helpers/crash-daemon.js';
import { checkInvariants, describeScan } from '../helpers/crash-logs.js';
import { COUNTER_WRITER, makeTempDir, waitFor } from '../helpers/crash-runtime.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';

/**
 * Fault class 7: a hostile shared node (issue 13). A tenant asks for a limit of 0 and of 1 byte (a
 * rotation storm); the runtime reports `<root>/<symlink>/../<name>`; hundreds of idle connections flood
 * the metrics port of the built daemon, run under a low descriptor limit, while a fast writer logs; a
 * FIFO sits where the live log and where a rotated file should be.
 */

const cli = useBuiltCli();

const cleanups: (() => Promise<unknown> | unknown)[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await killDaemons();
  while (cleanups.length) await cleanups.pop()!();
});

const results: string[] = [];
afterAll(() => {
  if (results.length) console.info(`[faults] hostile node:\n  ${results.join('\n  ')}`);
});

const rotatedLines = (lines: LogLine[], name: string) =>
  lines.filter((l) => l.msg === 'rotated' && String(l.path).includes(`/${name}/`));

async function writeConfig(dir: string, lines: string[]): Promise<string> {
  const file = path.join(dir, 'crilog.yaml');
  await fsp.writeFile(file, [...lines, ''].join('\n'));
  return file;
}

describe('a hostile node', () => {
  it('a storm attempt (max-size 0 and 1 byte) costs one rotation per line printed, and at most 10 a second', async () => {
    const tmp = await makeTempDir('crilog-storm-');
    cleanups.push(tmp.remove);
    const config = await writeConfig(tmp.dir, [
      'runtime: local',
      'logRoots: [logs]',
      'maxSize: 1Mi',
      // The operator lets tenants go as low as they like: the storm guards alone must hold.
      'policyMinSize: 0',
      'monitorInterval: 100ms',
      'containers:',
      '  - name: oneline',
      `    command: ${JSON.stringify(process.execPath)}`,
      '    args: ["-e", "console.log(\'one line\'); setInterval(() => {}, 1e6)"]',
      "    annotations: { 'crilog.io/max-size': '0' }",
      '  - name: steady',
      `    command: ${JSON.stringify(process.execPath)}`,
      `    args: [${JSON.stringify(COUNTER_WRITER)}, stream, "1", "10"]`,
      "    annotations: { 'crilog.io/max-size': '1' }",
    ]);
    const d = spawnDaemon(cli.main, isolatedFlags(tmp.dir, ['--config', config]));
    await d.waitForLine(
      'the first rotation of the one-line log',
      (l) => rotatedLines([l], 'oneline').length > 0,
    );
    const from = rotatedLines(d.lines, 'steady').length;
    const started = performance.now();
    await new Promise((r) => setTimeout(r, 4000));
    const seconds = (performance.now() - started) / 1000;
    const oneline = rotatedLines(d.lines, 'oneline').length;
    const steady = rotatedLines(d.lines, 'steady').length - from;
    d.child.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
    results.push(
      `storm: max-size 0, one line printed: ${oneline} rotation(s); max-size 1 byte, a line every 10 ms: ${steady} rotations in ${seconds.toFixed(1)} s`,
    );
    expect(oneline).toBe(1);
    // The rate limit (100 ms) bounds the steady writer's rotations; before, every write was one.
    expect(steady).toBeGreaterThan(0);
    expect(steady).toBeLessThanOrEqual(Math.ceil(seconds * 10) + 2);
  });

  it('a log path <root>/<symlink>/../<name> is refused with a warning; the file it reaches is never touched', async () => {
    const tmp = await makeTempDir('crilog-dotdot-');
    cleanups.push(tmp.remove);
    const root = path.join(tmp.dir, 'pods');
    const outside = path.join(tmp.dir, 'outside');
    await fsp.mkdir(path.join(outside, 'deep'), { recursive: true });
    await fsp.mkdir(path.join(root, 'ns_inside_uid', 'c'), { recursive: true });
    await fsp.symlink(path.join(outside, 'deep'), path.join(root, 'link'));
    // Lexically <root>/victim.log; for the kernel <tmp>/outside/victim.log, a file crilog must not touch.
    const sneaky = `${root}/link/../victim.log`;
    const victim = path.join(outside, 'victim.log');
    await fsp.writeFile(victim, 'x'.repeat(100 * 1024));
    expect((await fsp.stat(sneaky)).size).toBe(100 * 1024);
    const inside = path.join(root, 'ns_inside_uid', 'c', '0.log');
    await fsp.writeFile(inside, 'y'.repeat(100 * 1024));
    // A runtime that reports the path (containerd passes the kubelet's path through as given).
    const runtime = new FakeRuntime();
    runtime.add('inside', inside);
    runtime.add('sneaky', sneaky);
    const warnings: string[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (_obj, msg) => warnings.push(String(msg)),
      error() {},
    };
    const daemonConfig = await loadSettings({
      runtime: 'cri',
      logRoots: [root],
      lockFile: path.join(tmp.dir, 'crilog.lock'),
      maxSize: '24Ki',
      maxFiles: '3',
      monitorInterval: '50ms',
      metricsAddress: '127.0.0.1:0',
    });
    const daemon = new Daemon({
      config: daemonConfig,
      logger,
      defaultMetrics: false,
      runtimeFactories: { cri: fakeFactory(runtime) },
    });
    await daemon.start();
    cleanups.push(() => daemon.stop());
    const rotations: RotationEvent[] = [];
    daemon.manager!.on('rotation', (r) => rotations.push(r));
    await waitFor('the log inside rotated', () => rotations.some((r) => r.id === 'inside'));
    for (let i = 0; i < 3; i++) await daemon.manager!.rotateOnce();
    const cleaned = await daemon.manager!.clean('sneaky').catch((e: unknown) => e);
    await daemon.stop();
    const refused = warnings.filter((w) => w.includes('is refused') && w.includes('not normalized'));
    results.push(
      `..-through-symlink: ${rotations.filter((r) => r.id === 'sneaky').length} rotations, ${refused.length} warning(s), ` +
        `clean: ${hasErrorCode(cleaned, 'ERR_UNSAFE_PATH') ? 'refused' : 'ran'}, files outside: ${(await fsp.readdir(outside)).join(', ')}`,
    );
    expect(rotations.filter((r) => r.id === 'sneaky')).toEqual([]);
    expect(refused).toHaveLength(1);
    expect(hasErrorCode(cleaned, 'ERR_UNSAFE_PATH')).toBe(true);
    expect((await fsp.readdir(outside)).sort()).toEqual(['deep', 'victim.log']);
    expect((await fsp.stat(victim)).size).toBe(100 * 1024);
    expect(runtime.count('reopenContainerLog', 'sneaky')).toBe(0);
  });

  it('hundreds of idle connections to the metrics port of the built daemon: rotation keeps pace', async () => {
    const tmp = await makeTempDir('crilog-flood-');
    cleanups.push(tmp.remove);
    const limit = 128 * 1024;
    const config = await writeConfig(tmp.dir, [
      'runtime: local',
      'logRoots: [logs]',
      `maxSize: ${limit}`,
      'maxFiles: 4',
      'containers:',
      '  - name: fast',
      `    command: ${JSON.stringify(process.execPath)}`,
      `    args: [${JSON.stringify(COUNTER_WRITER)}, stream, "20", "5", "100"]`,
    ]);
    // 256 descriptors: without a connection limit, 600 idle sockets would take every one of them.
    const d = spawnDaemon(cli.main, isolatedFlags(tmp.dir, ['--config', config]), undefined, {
      maxOpenFiles: 256,
    });
    const started = await d.waitForLine('started', (l) => l.msg === 'crilog daemon started');
    const [host, port] = String(started.metrics).split(':') as [string, string];
    await d.waitForLine('a first rotation', (l) => rotatedLines([l], 'fast').length > 0);
    const before = rotatedLines(d.lines, 'fast').length;
    let refused = 0;
    const open = async () => {
      const socket = connect(Number(port), host);
      sockets.push(socket);
      socket.on('error', () => {});
      socket.on('close', () => refused++);
      await once(socket, 'connect').catch(() => {});
    };
    // The flood is kept up: every socket the daemon closes is replaced, for 6 s.
    const floodUntil = performance.now() + 6000;
    await Promise.all(Array.from({ length: 600 }, open));
    while (performance.now() < floodUntil) {
      const missing = sockets.filter((s) => s.destroyed || s.closed).length;
      await Promise.all(Array.from({ length: Math.min(missing, 200) }, open));
      await new Promise((r) => setTimeout(r, 200));
    }
    const during = rotatedLines(d.lines, 'fast').slice(before);
    const worst = Math.max(...during.map((l) => Number(l.bytes)));
    const emfile = d.lines.filter((l) => JSON.stringify(l).includes('EMFILE')).length;
    for (const s of sockets.splice(0)) s.destroy();
    const health = await fetch(`http://${host}:${port}/healthz`);
    d.child.kill('SIGTERM');
    expect((await d.exited).code).toBe(0);
    results.push(
      `flood: 600+ idle connections for 6 s at ulimit -n 256 (${refused} closed by the daemon): ${during.length} rotations meanwhile, ` +
        `largest rotated log ${(worst / limit).toFixed(2)}x the limit, ${emfile} EMFILE log lines, /healthz ${health.status} after`,
    );
    expect(during.length).toBeGreaterThanOrEqual(3);
    expect(worst / limit).toBeLessThan(4);
    expect(emfile).toBe(0);
    expect(health.status).toBe(200);
    expect(
      d.count('metrics port at its connection limit; closing new connections (a flood of idle clients?)'),
    ).toBeGreaterThanOrEqual(1);
  });

  it('a FIFO as live log is refused at once, and a FIFO named like a rotated file never blocks a pass', async () => {
    const tmp = await makeTempDir('crilog-fifo-');
    cleanups.push(tmp.remove);
    // The live log is a FIFO nobody writes to: opening it for reading would wait forever.
    const fifoLog = path.join(tmp.dir, 'pods', 'fifo', '0.log');
    await fsp.mkdir(path.dirname(fifoLog), { recursive: true });
    execFileSync('mkfifo', [fifoLog]);
    // A real writer next to FIFOs named like its rotations, raw and compressed.
    const logPath = path.join(tmp.dir, 'pods', 'ctr', '0.log');
    await fsp.mkdir(path.dirname(logPath), { recursive: true });
    const fifos = [`${logPath}.20990101-000000`, `${logPath}.20000101-000000.gz`];
    for (const f of fifos) execFileSync('mkfifo', [f]);
    const runtime = new LocalRuntime({ logRoot: path.join(tmp.dir, 'pods'), stopGracePeriodMs: 5000 });
    const id = runtime.add(
      { name: 'counter', command: process.execPath, args: [COUNTER_WRITER, 'stream', '40', '5'] },
      { logPath },
    );
    await runtime.start();
    cleanups.push(() => runtime.stopAll(0));
    const fifoRuntime = {
      listContainers: async () => [
        ...(await runtime.listContainers()),
        { id: 'fifo', state: 'running' as const, labels: {}, annotations: {} },
      ],
      containerStatus: async (cid: string) =>
        cid === 'fifo'
          ? { id: 'fifo', state: 'running' as const, labels: {}, annotations: {}, logPath: fifoLog }
          : runtime.containerStatus(cid),
      reopenContainerLog: (cid: string) => runtime.reopenContainerLog(cid),
    };
    const manager = new ContainerLogManager({ runtime: fifoRuntime, maxSize: '24Ki', maxFiles: 4 });
    cleanups.push(() => manager.stop());
    const rotations: RotationEvent[] = [];
    manager.on('rotation', (r) => rotations.push(r));
    let fifoErrors = 0;
    let slowest = 0;
    await waitFor('four rotations next to the FIFOs', async () => {
      const started = performance.now();
      const report = await manager.rotateOnce();
      slowest = Math.max(slowest, performance.now() - started);
      const fifo = report.containers.find((c) => c.id === 'fifo');
      if (hasErrorCode(fifo?.error, 'ERR_UNSAFE_PATH')) fifoErrors++;
      return rotations.filter((r) => r.id === id && r.outcome === 'success').length >= 4;
    });
    await runtime.stop(id, 5000);
    await manager.rotateOnce();
    for (const f of [fifoLog, ...fifos]) expect((await fsp.lstat(f)).isFIFO(), f).toBe(true);
    const check = await checkInvariants(logPath, { maxFiles: 4, complete: false });
    results.push(
      `FIFOs: live-log FIFO refused in ${fifoErrors} passes; rotated-name FIFOs ignored; ${rotations.length} rotations, slowest pass ${slowest.toFixed(0)} ms, lost ${check.counters.lostCount}`,
    );
    expect(fifoErrors).toBeGreaterThan(0);
    expect(rotations.every((r) => r.id !== 'fifo')).toBe(true);
    expect(
      check.violations.filter((v) => !v.includes('FIFO') && !v.includes('not a regular')),
      describeScan(check.scan),
    ).toEqual([]);
  });
});
