import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { FakeRuntime } from '../../test/helpers/fake-runtime.js';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { ContainerNotRunningError, RuntimeError } from '../errors/crilog-error.js';
import { nodeFileSystem, type FileSystem } from '../ports/file-system.js';
import { ContainerLogManager } from './container-log-manager.js';
import type { ContainerLogManagerOptions } from './types.js';

async function setup(options: Partial<ContainerLogManagerOptions> = {}, containers = ['c1']) {
  const dir = await tempDir();
  const runtime = new FakeRuntime();
  const clock = new FakeClock();
  const logs: Record<string, string> = {};
  for (const id of containers) {
    await fsp.mkdir(path.join(dir, id));
    logs[id] = path.join(dir, id, '0.log');
    await fsp.writeFile(logs[id], '');
    runtime.add(id, logs[id]);
  }
  // The fake clock stands still, so the rotation rate limit is off unless a test is about it.
  const manager = new ContainerLogManager({
    runtime,
    clock,
    maxSize: 100,
    maxFiles: 3,
    minRotationInterval: 0,
    ...options,
  });
  return { dir, runtime, clock, logs, manager, log: logs[containers[0]!]! };
}

const ls = async (file: string) => (await fsp.readdir(path.dirname(file))).sort();
const line = (n: number) => `2026-01-01T12:00:00.000000000Z stdout F line ${n}\n`;

/** Reads every data file of a log (decompressing .gz) in history order. */
async function history(log: string): Promise<string> {
  const { getAllLogs } = await import('../rotation/log-files.js');
  let out = '';
  for (const f of await getAllLogs(log)) {
    const buf = await fsp.readFile(f).catch(() => Buffer.alloc(0));
    out += f.endsWith('.gz') ? gunzipSync(buf).toString() : buf.toString();
  }
  return out;
}

describe('ContainerLogManager.rotateOnce', () => {
  it('rotates at size >= maxSize, not below', async () => {
    const { manager, log, runtime } = await setup();
    await fsp.writeFile(log, 'x'.repeat(99));
    expect((await manager.rotateOnce()).containers[0]).toMatchObject({ action: 'none', size: 99 });
    await fsp.appendFile(log, 'x');
    const report = await manager.rotateOnce();
    expect(report.containers[0]).toMatchObject({
      action: 'rotated',
      size: 100,
      rotatedTo: `${log}.20261127-100000`,
    });
    expect(runtime.count('reopenContainerLog', 'c1')).toBe(1);
    expect(await ls(log)).toEqual(['0.log', '0.log.20261127-100000'].sort());
    expect(await fsp.readFile(log, 'utf8')).toBe('');
  });

  it('keeps at most maxFiles files, compresses all but the newest rotation, and loses no line', async () => {
    const { manager, log, clock } = await setup({ maxFiles: 3, maxSize: 10 });
    let expected = '';
    for (let i = 0; i < 6; i++) {
      await fsp.appendFile(log, line(i));
      expected += line(i);
      await manager.rotateOnce();
      clock.advance(1000);
      expect((await ls(log)).length).toBeLessThanOrEqual(3);
    }
    const files = await ls(log);
    expect(files).toEqual(['0.log', '0.log.20261127-100004.gz', '0.log.20261127-100005']);
    // The two newest rotations are kept in full; older ones were trimmed by count.
    expect(await history(log)).toBe(line(4) + line(5));
    expect(expected.endsWith(await history(log))).toBe(true);
  });

  it('gives two rotations in the same second distinct, ordered names', async () => {
    const { manager, log } = await setup({ maxFiles: 5, maxSize: 1 });
    for (let i = 0; i < 3; i++) {
      await fsp.appendFile(log, line(i));
      await manager.rotateOnce();
    }
    expect(await ls(log)).toEqual(
      ['0.log', '0.log.20261127-100000.gz', '0.log.20261127-100000-1.gz', '0.log.20261127-100000-2'].sort(),
    );
    expect(await history(log)).toBe(line(0) + line(1) + line(2));
  });

  it('renames the log back when reopen fails, and retries next pass', async () => {
    const { manager, log, runtime } = await setup();
    await fsp.writeFile(log, line(1).repeat(5));
    runtime.fail('reopenContainerLog', new RuntimeError('boom', 'reopenContainerLog'));
    const events: string[] = [];
    manager.on('rotation', (e) => events.push(e.outcome));
    const report = await manager.rotateOnce();
    expect(report.containers[0]).toMatchObject({ action: 'failed', error: { code: 'ERR_ROTATION' } });
    expect(events).toEqual(['reopen_failed']);
    expect(await ls(log)).toEqual(['0.log'].sort());
    expect(await fsp.readFile(log, 'utf8')).toBe(line(1).repeat(5));
    runtime.clearFailures();
    // The very file a failed attempt left is not tried again until it grew (no storm of failing reopens).
    expect((await manager.rotateOnce()).containers[0]!.action).toBe('none');
    await fsp.appendFile(log, line(2));
    expect((await manager.rotateOnce()).containers[0]!.action).toBe('rotated');
  });

  it('keeps the rotated file when the runtime made a new live log before failing', async () => {
    const { manager, log, runtime } = await setup();
    await fsp.writeFile(log, 'old'.repeat(50));
    runtime.reopenContainerLog = async () => {
      await fsp.writeFile(log, 'new');
      throw new ContainerNotRunningError('c1');
    };
    await manager.rotateOnce();
    expect(await fsp.readFile(log, 'utf8')).toBe('new');
    expect(await history(log)).toBe('old'.repeat(50) + 'new');
  });

  it('reopens a missing live log of a running container', async () => {
    const { manager, log, runtime } = await setup();
    await fsp.rm(log);
    expect((await manager.rotateOnce()).containers[0]).toMatchObject({ action: 'reopened', size: 0 });
    expect(runtime.count('reopenContainerLog')).toBe(1);
    await fsp.access(log);
  });

  it('skips containers that are not running and containers that vanished', async () => {
    const { manager, logs, runtime } = await setup({}, ['a', 'b']);
    await fsp.writeFile(logs.a!, 'x'.repeat(500));
    runtime.containers.get('a')!.state = 'exited';
    runtime.containerStatus = async () =>
      Promise.reject(new (await import('../errors/crilog-error.js')).ContainerNotFoundError('b'));
    const report = await manager.rotateOnce();
    expect(report.containers.map((c) => c.action)).toEqual(['skipped', 'skipped']);
    expect(await ls(logs.a!)).toEqual(['0.log']);
  });

  it('removes leftovers: .tmp files and raw files that already have a .gz twin', async () => {
    const { manager, log } = await setup({ maxFiles: 5 });
    await fsp.writeFile(`${log}.20260101-100000`, 'raw');
    await fsp.writeFile(`${log}.20260101-100000.gz`, (await import('node:zlib')).gzipSync('raw'));
    await fsp.writeFile(`${log}.20260101-110000.tmp`, 'partial');
    await fsp.writeFile(`${log}.20260101-120000`, 'newest');
    const report = await manager.rotateOnce();
    expect(report.containers[0]!.removed?.map((p) => path.basename(p)).sort()).toEqual([
      '0.log.20260101-100000',
      '0.log.20260101-110000.tmp',
    ]);
    expect(await ls(log)).toEqual(['0.log', '0.log.20260101-100000.gz', '0.log.20260101-120000'].sort());
  });

  it('counts and trims kubelet-named rotations like its own', async () => {
    const { manager, log } = await setup({ maxFiles: 3 });
    const zlib = await import('node:zlib');
    await fsp.writeFile(`${log}.20250101-000000.gz`, zlib.gzipSync('a'));
    await fsp.writeFile(`${log}.20250102-000000.gz`, zlib.gzipSync('b'));
    await fsp.writeFile(`${log}.20250103-000000`, 'c');
    await fsp.writeFile(log, 'x'.repeat(100));
    await manager.rotateOnce();
    expect(await ls(log)).toEqual(['0.log', '0.log.20250103-000000.gz', '0.log.20261127-100000'].sort());
    expect(await history(log)).toBe('c' + 'x'.repeat(100));
  });

  it('never touches a symlink or a directory planted among rotations', async () => {
    const { manager, log, dir } = await setup({ maxFiles: 2, maxSize: 1 });
    const outside = path.join(dir, 'outside.log');
    await fsp.writeFile(outside, 'precious');
    await fsp.symlink(outside, `${log}.20200101-000000`);
    await fsp.mkdir(`${log}.20200102-000000.gz`);
    for (let i = 0; i < 3; i++) {
      await fsp.appendFile(log, line(i));
      await manager.rotateOnce();
    }
    expect(await fsp.readFile(outside, 'utf8')).toBe('precious');
    expect((await fsp.lstat(`${log}.20200101-000000`)).isSymbolicLink()).toBe(true);
    expect((await fsp.lstat(`${log}.20200102-000000.gz`)).isDirectory()).toBe(true);
  });

  it('refuses to rotate a live log that is a symlink', async () => {
    const { manager, log, dir } = await setup();
    const target = path.join(dir, 'target');
    await fsp.writeFile(target, 'x'.repeat(1000));
    await fsp.rm(log);
    await fsp.symlink(target, log);
    expect((await manager.rotateOnce()).containers[0]).toMatchObject({
      action: 'failed',
      error: { code: 'ERR_UNSAFE_PATH' },
    });
    expect(await fsp.readFile(target, 'utf8')).toBe('x'.repeat(1000));
  });

  it('keeps the live log mode on rotated and compressed files', async () => {
    const { manager, log } = await setup({ maxSize: 1 });
    await fsp.chmod(log, 0o600);
    for (let i = 0; i < 2; i++) {
      await fsp.appendFile(log, line(i));
      await fsp.chmod(log, 0o600);
      await manager.rotateOnce();
    }
    for (const f of await ls(log))
      if (f !== '0.log') expect((await fsp.stat(path.join(path.dirname(log), f))).mode & 0o777).toBe(0o600);
  });

  it.runIf(process.platform === 'linux')(
    'compresses on worker threads at compressionNice, and stop() ends them',
    async () => {
      const { manager, log } = await setup({ maxSize: 1, compressionNice: 13, delayCompress: false });
      // Threads of this process and their nice values (field 19 of /proc/self/task/<tid>/stat).
      const niceThreads = async () => {
        const tids = await fsp.readdir('/proc/self/task');
        const nices = await Promise.all(
          tids.map(async (tid) => {
            const stat = await fsp.readFile(`/proc/self/task/${tid}/stat`, 'utf8').catch(() => '');
            return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]);
          }),
        );
        return nices.filter((n) => n === 13).length;
      };
      expect(await niceThreads()).toBe(0);
      await fsp.appendFile(log, line(0));
      const report = await manager.rotateOnce();
      expect(report.containers[0]?.compressed).toHaveLength(1);
      expect(await niceThreads()).toBe(1);
      await manager.stop();
      await expect.poll(niceThreads).toBe(0);
    },
  );

  it('leaves the raw file when compression fails and retries on the next pass', async () => {
    let failing = true;
    const fs: FileSystem = {
      ...nodeFileSystem,
      // The compression's final move is a link() that never replaces a file.
      link: async (a, b) =>
        failing && a.endsWith('.tmp')
          ? Promise.reject(Object.assign(new Error('EIO'), { code: 'EIO' }))
          : nodeFileSystem.link(a, b),
    };
    const { manager, log } = await setup({ maxSize: 1, maxFiles: 4, fs });
    const outcomes: string[] = [];
    manager.on('compression', (e) => outcomes.push(e.outcome));
    for (let i = 0; i < 2; i++) {
      await fsp.appendFile(log, line(i));
      await manager.rotateOnce();
    }
    expect(outcomes).toEqual(['error']);
    expect(await ls(log)).toEqual(['0.log', '0.log.20261127-100000', '0.log.20261127-100000-1'].sort());
    failing = false;
    await manager.rotateOnce(); // below the limit: only maintenance
    expect(outcomes).toEqual(['error', 'success']);
    expect(await ls(log)).toEqual(['0.log', '0.log.20261127-100000.gz', '0.log.20261127-100000-1'].sort());
    expect(await history(log)).toBe(line(0) + line(1));
  });

  it('one failing container never stops the others', async () => {
    const { manager, logs, runtime } = await setup({ maxSize: 1 }, ['a', 'b', 'c']);
    for (const l of Object.values(logs)) await fsp.writeFile(l, 'data');
    runtime.fail('containerStatus', new RuntimeError('status failed', 'containerStatus'), 'b');
    const errors: string[] = [];
    manager.on('runtime-error', (e) => errors.push(`${e.method}:${e.id}`));
    const report = await manager.rotateOnce();
    expect(report.containers.map((c) => c.action)).toEqual(['rotated', 'failed', 'rotated']);
    expect(report.containers[1]!.error?.message).toContain('"b"');
    expect(errors).toEqual(['containerStatus:b']);
  });

  it('handles at most `workers` containers at once', async () => {
    const { manager, runtime } = await setup({ workers: 2 }, ['a', 'b', 'c', 'd', 'e']);
    let release!: () => void;
    runtime.statusGate = new Promise((r) => (release = r));
    const pass = manager.rotateOnce();
    await new Promise((r) => setImmediate(r));
    expect(runtime.maxConcurrentStatus).toBe(2);
    release();
    await pass;
    expect(runtime.count('containerStatus')).toBe(5);
    expect(runtime.maxConcurrentStatus).toBe(2);
  });

  it('reports a failed listing without throwing', async () => {
    const { manager, runtime } = await setup();
    runtime.fail('listContainers', new RuntimeError('down', 'listContainers'));
    const report = await manager.rotateOnce();
    expect(report.error?.message).toBe('failed to list containers');
    expect(report.containers).toEqual([]);
  });

  it('does nothing when maxSize is negative', async () => {
    const { manager, log, runtime } = await setup({ maxSize: '-1' });
    await fsp.writeFile(log, 'x'.repeat(1000));
    expect(manager.enabled).toBe(false);
    expect((await manager.rotateOnce()).containers).toEqual([]);
    expect(runtime.calls).toEqual([]);
  });
});

describe('ContainerLogManager.clean', () => {
  it("removes the container's live log and rotations, and nothing else", async () => {
    const { manager, log, runtime } = await setup({ maxSize: 1 });
    await fsp.writeFile(log, 'x');
    await manager.rotateOnce();
    await fsp.writeFile(log, 'y');
    await manager.rotateOnce();
    const siblings = ['0.log-other', '0.log.bak', '0.logs', '1.log', '1.log.20261127-100000'];
    for (const s of siblings) await fsp.writeFile(path.join(path.dirname(log), s), s);
    const removed = await manager.clean('c1');
    expect(removed.map((p) => path.basename(p)).sort()).toEqual(
      ['0.log', '0.log.20261127-100000.gz', '0.log.20261127-100000-1'].sort(),
    );
    expect(await ls(log)).toEqual(siblings.sort());
    expect(runtime.count('containerStatus', 'c1')).toBeGreaterThan(0);
  });

  it('fails with ERR_CONTAINER_NOT_FOUND for an unknown container', async () => {
    const { manager } = await setup();
    await expect(manager.clean('nope')).rejects.toMatchObject({ code: 'ERR_CONTAINER_NOT_FOUND' });
  });
});

describe('ContainerLogManager.start/stop', () => {
  it('runs a pass at start and then every monitorInterval of the injected clock', async () => {
    const { manager, runtime, clock } = await setup({ monitorInterval: '10s' });
    const passes: number[] = [];
    const next = () => new Promise<void>((resolve) => manager.once('pass', () => resolve()));
    manager.start();
    let p = next();
    clock.advance(0);
    await p;
    passes.push(runtime.count('listContainers'));
    await new Promise((r) => setImmediate(r));
    clock.advance(9_999);
    expect(runtime.count('listContainers')).toBe(1);
    p = next();
    clock.advance(1);
    await p;
    passes.push(runtime.count('listContainers'));
    await manager.stop();
    expect(passes).toEqual([1, 2]);
    expect(clock.pending).toBe(0);
  });
});

describe('ContainerLogManager.stop during a pass', () => {
  it('finishes the container in flight and skips the ones still queued', async () => {
    const { manager, runtime } = await setup({ workers: 1 }, ['a', 'b', 'c']);
    let release!: () => void;
    runtime.statusGate = new Promise((r) => (release = r));
    const pass = manager.rotateOnce();
    await new Promise((r) => setImmediate(r));
    const stopped = manager.stop();
    release();
    await stopped;
    const report = await pass;
    expect(report.containers.map((c) => c.action)).toEqual(['none', 'skipped', 'skipped']);
    expect(runtime.count('containerStatus')).toBe(1);
    // A stopped manager can run again.
    expect((await manager.rotateOnce()).containers.map((c) => c.action)).toEqual(['none', 'none', 'none']);
  });
});
