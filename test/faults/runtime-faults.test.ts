import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/settings/index.js';
import { Daemon } from '../../src/daemon/daemon.js';
import {
  ContainerLogManager,
  hasErrorCode,
  nodeFileSystem,
  type FileSystem,
  type PassReport,
  type RotationEvent,
  type RuntimeErrorEvent,
} from '../../src/index.js';
import { silentLogger } from '../../src/ports/logger.js';
import { CriRuntimeService } from '../../src/runtime/cri/index.js';
import { serveCri, type CriServerHandle } from '../../src/runtime/local/cri-server.js';
import { checkInvariants, describeScan, scanLogDir } from '../helpers/crash-logs.js';
import { makeTempDir, startCounterRuntime, waitFor, type CounterRuntime } from '../helpers/crash-runtime.js';

/**
 * Fault class 3: the runtime misbehaves. ReopenContainerLog fails or answers after the deadline (in
 * both orders relative to the move back), the CRI server restarts in the middle of a rotation, or its
 * socket is missing when crilog starts. crilog keeps running, reports not-ready while the runtime is
 * away, catches up when it returns, and no line the writer wrote is lost or duplicated.
 */

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const results: string[] = [];
afterAll(() => {
  if (results.length) console.info(`[faults] runtime faults:\n  ${results.join('\n  ')}`);
});

async function setup(opts: { callTimeoutMs?: number; fs?: FileSystem } = {}) {
  const tmp = await makeTempDir('crilog-rtfault-');
  cleanups.push(tmp.remove);
  const rt = await startCounterRuntime({ dir: tmp.dir });
  cleanups.push(() => rt.close());
  const runtime = new CriRuntimeService({ endpoint: rt.endpoint, callTimeoutMs: opts.callTimeoutMs ?? 2000 });
  cleanups.push(() => runtime.close());
  const manager = new ContainerLogManager({
    runtime,
    maxSize: '32Ki',
    maxFiles: 1000,
    ...(opts.fs ? { fs: opts.fs } : {}),
  });
  const rotations: RotationEvent[] = [];
  const runtimeErrors: RuntimeErrorEvent[] = [];
  manager.on('rotation', (e) => rotations.push(e));
  manager.on('runtime-error', (e) => runtimeErrors.push(e));
  cleanups.push(() => manager.stop());
  /** Runs passes until `done()` holds. */
  const passUntil = (what: string, done: () => boolean) =>
    waitFor(what, async () => {
      await manager.rotateOnce();
      return done();
    });
  return { tmp, rt, runtime, manager, rotations, runtimeErrors, passUntil };
}

async function finish(rt: CounterRuntime, name: string) {
  await rt.stopWriter();
  const check = await checkInvariants(rt.logPath, { maxFiles: 1000, complete: true });
  results.push(
    `${name}: ${check.counters.written} lines, lost ${check.counters.lostCount}, duplicated ${check.counters.duplicatedCount}, ${check.scan.data.length} files`,
  );
  expect(check.violations, describeScan(check.scan)).toEqual([]);
}

describe('runtime faults', () => {
  it('ReopenContainerLog fails: the rename is undone, retried every pass, and rotation resumes', async () => {
    const { rt, rotations, runtimeErrors, passUntil } = await setup();
    const before = await fsp.lstat(rt.logPath);
    rt.reopenFault = { kind: 'fail' };
    await passUntil(
      'three failed rotations',
      () => rotations.filter((r) => r.outcome === 'reopen_failed').length >= 3,
    );
    const scan = await scanLogDir(rt.logPath);
    // Moved back each time: one file, the same inode the runtime writes to, no second name.
    expect(scan.data.map((d) => d.path)).toEqual([rt.logPath]);
    expect(scan.live?.ino).toBe(before.ino);
    expect(scan.aliases).toEqual([]);
    expect(runtimeErrors.some((e) => e.method === 'reopenContainerLog')).toBe(true);
    rt.reopenFault = { kind: 'ok' };
    await passUntil(
      'two rotations after the runtime recovered',
      () => rotations.filter((r) => r.outcome === 'success').length >= 2,
    );
    await finish(rt, 'reopen fails');
  });

  it('ReopenContainerLog times out and the runtime reopens after the file was moved back', async () => {
    const { rt, rotations, runtimeErrors, passUntil } = await setup({ callTimeoutMs: 250 });
    const before = await fsp.lstat(rt.logPath);
    rt.reopenFault = { kind: 'delay', ms: 750 };
    await passUntil('a timed-out rotation', () => rotations.some((r) => r.outcome === 'reopen_failed'));
    rt.reopenFault = { kind: 'ok' };
    expect(runtimeErrors.find((e) => e.method === 'reopenContainerLog')?.error).toSatisfy(
      (e: Error) => hasErrorCode(e, 'ERR_RUNTIME_UNAVAILABLE') || /deadline/i.test(String(e)),
    );
    await waitFor('the late reopen', () => rt.reopens.completed >= 1);
    // The late reopen opened the moved-back file again: still the same inode, nothing split.
    expect((await fsp.lstat(rt.logPath)).ino).toBe(before.ino);
    await passUntil(
      'two rotations after',
      () => rotations.filter((r) => r.outcome === 'success').length >= 2,
    );
    await finish(rt, 'reopen times out, lands after the move back');
  });

  it('ReopenContainerLog times out and the runtime reopens before the move back: the rotated file stays history', async () => {
    const late: { rt?: CounterRuntime } = {};
    let holdLink = false;
    const fs: FileSystem = {
      ...nodeFileSystem,
      async link(from, to) {
        // The move back (a link to the live name; the rotation itself links to the rotated name) waits
        // until the late reopen made a new live file: the EEXIST branch.
        if (holdLink && to === late.rt!.logPath)
          await waitFor('the late reopen before the move back', () => late.rt!.reopens.completed >= 1);
        return nodeFileSystem.link(from, to);
      },
    };
    const ctx = await setup({ callTimeoutMs: 250, fs });
    const rt = (late.rt = ctx.rt);
    const before = await fsp.lstat(rt.logPath);
    rt.reopenFault = { kind: 'delay', ms: 500 };
    holdLink = true;
    await ctx.passUntil('a timed-out rotation', () =>
      ctx.rotations.some((r) => r.outcome === 'reopen_failed'),
    );
    holdLink = false;
    rt.reopenFault = { kind: 'ok' };
    const scan = await scanLogDir(rt.logPath);
    expect(scan.live?.ino).not.toBe(before.ino);
    expect(scan.data.length).toBe(2);
    expect(scan.data[0]?.ino).toBe(before.ino);
    await ctx.passUntil(
      'two rotations after',
      () => ctx.rotations.filter((r) => r.outcome === 'success').length >= 2,
    );
    await finish(rt, 'reopen times out, lands before the move back');
  });
});

describe('runtime outages seen by the daemon', () => {
  async function startDaemon(dir: string, endpoint: string) {
    const config = await loadSettings({
      runtime: 'cri',
      runtimeEndpoint: endpoint,
      logRoots: [path.join(dir, 'pods')],
      lockFile: path.join(dir, 'crilog.lock'),
      maxSize: '32Ki',
      maxFiles: '1000',
      monitorInterval: '50ms',
      metricsAddress: '127.0.0.1:0',
    });
    const daemon = new Daemon({ config, logger: silentLogger, trigger: false, defaultMetrics: false });
    await daemon.start();
    cleanups.push(() => daemon.stop());
    const passes: PassReport[] = [];
    const rotations: RotationEvent[] = [];
    daemon.manager!.on('pass', (p) => passes.push(p));
    daemon.manager!.on('rotation', (r) => rotations.push(r));
    return { daemon, passes, rotations };
  }

  it('the socket is missing at start: not ready, then catches up when the runtime appears', async () => {
    const tmp = await makeTempDir('crilog-rtfault-');
    cleanups.push(tmp.remove);
    const socket = path.join(tmp.dir, 'cri.sock');
    const { daemon, passes, rotations } = await startDaemon(tmp.dir, `unix://${socket}`);
    await waitFor('two failed passes', () => passes.filter((p) => p.error).length >= 2);
    expect(daemon.ready).toBe(false);
    const rt = await startCounterRuntime({ dir: tmp.dir, socket });
    cleanups.push(() => rt.close());
    await waitFor('ready again', () => daemon.ready);
    await waitFor('two rotations', () => rotations.filter((r) => r.outcome === 'success').length >= 2);
    await rt.stopWriter();
    await daemon.stop();
    const check = await checkInvariants(rt.logPath, { maxFiles: 1000, complete: true });
    results.push(
      `socket missing at start: ${check.counters.written} lines, lost ${check.counters.lostCount}`,
    );
    expect(check.violations, describeScan(check.scan)).toEqual([]);
  });

  it('the runtime restarts in the middle of a rotation: not ready, then catches up', async () => {
    const tmp = await makeTempDir('crilog-rtfault-');
    cleanups.push(tmp.remove);
    const rt = await startCounterRuntime({ dir: tmp.dir });
    cleanups.push(() => rt.close());
    const { daemon, passes, rotations } = await startDaemon(tmp.dir, rt.endpoint);
    await waitFor('a rotation', () => rotations.some((r) => r.outcome === 'success'));
    const restarted: { server?: CriServerHandle } = {};
    cleanups.push(() => restarted.server?.close());
    // The server goes away while crilog waits for ReopenContainerLog: the call is cut off mid-pass.
    rt.reopenFault = {
      kind: 'hook',
      run: async () => {
        rt.reopenFault = { kind: 'ok' };
        await rt.handle.server.close(20);
        throw new Error('runtime went away');
      },
    };
    await waitFor('the cut-off rotation', () => rotations.some((r) => r.outcome !== 'success'));
    await waitFor('a pass that cannot reach the runtime', () => passes.some((p) => p.error));
    expect(daemon.ready).toBe(false);
    const live = await scanLogDir(rt.logPath);
    expect(live.live, 'the live log was moved back').not.toBeNull();
    const outageRotations = rotations.length;
    restarted.server = await serveCri(rt.runtime, rt.socket);
    await waitFor('ready again', () => daemon.ready);
    await waitFor(
      'two rotations after the restart',
      () => rotations.slice(outageRotations).filter((r) => r.outcome === 'success').length >= 2,
    );
    await rt.stopWriter();
    await daemon.stop();
    const check = await checkInvariants(rt.logPath, { maxFiles: 1000, complete: true });
    results.push(
      `runtime restart mid-rotation: ${check.counters.written} lines, lost ${check.counters.lostCount}`,
    );
    expect(check.violations, describeScan(check.scan)).toEqual([]);
  });
});
