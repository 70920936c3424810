import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { ContainerLogManager, type ContainerReport, type RuntimeService } from '../../src/index.js';
import { LocalRuntime } from '../../src/runtime/local/index.js';
import { checkInvariants, describeScan, scanLogDir } from '../helpers/crash-logs.js';
import { COUNTER_WRITER, makeTempDir, waitFor } from '../helpers/crash-runtime.js';

/**
 * The recovery table of docs/recovery.md, row by row: each state an interrupted rotation or
 * compression can leave is built by hand next to a real writer, one pass runs, and the pass must take
 * the one right action (and only it) with every line kept. The crash tests reach the same states by
 * killing a real daemon; these pin down the answer for each state exactly, including the states no
 * single crash point produces (a partial `.tmp`, a stopped container, an interrupted trim).
 */

const BURST = 400;
const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
const results: string[] = [];
afterAll(() => {
  if (results.length) console.info(`[faults] recovery states:\n  ${results.join('\n  ')}`);
});

/** A burst writer (400 lines per burst) on `<dir>/pod/c.log` and a manager with maxFiles `maxFiles`. */
async function setup(maxFiles = 5) {
  const tmp = await makeTempDir('crilog-states-');
  cleanups.push(tmp.remove);
  const logPath = path.join(tmp.dir, 'pod', 'c.log');
  await fsp.mkdir(path.dirname(logPath), { recursive: true });
  const runtime = new LocalRuntime({ logRoot: tmp.dir, stopGracePeriodMs: 5000 });
  const id = runtime.add(
    { name: 'c', command: process.execPath, args: [COUNTER_WRITER, 'burst', String(BURST), '0'] },
    { logPath },
  );
  cleanups.push(() => runtime.stopAll(0));
  await runtime.start();
  let bursts = 1;
  const inLog = async (n: number) => {
    const s = await scanLogDir(logPath);
    for (const d of s.data) if ((await fsp.readFile(d.path, 'utf8')).includes(` line ${n}\n`)) return true;
    return false;
  };
  await waitFor('the first burst', () => inLog(BURST - 1));
  // Far above what the bursts write: a pass only ever repairs, it never rotates on its own here.
  const manager = new ContainerLogManager({ runtime, maxSize: '1Mi', maxFiles });
  cleanups.push(() => manager.stop());
  return {
    logPath,
    runtime,
    id,
    manager,
    /** One more burst, written wherever the runtime's file is now. */
    async burst() {
      bursts++;
      process.kill(runtime.inspect(id).pid!, 'SIGUSR1');
      await waitFor(`burst ${bursts}`, () => inLog(bursts * BURST - 1));
    },
    async pass(): Promise<ContainerReport> {
      const report = await manager.rotateOnce();
      return report.containers[0]!;
    },
    rotated: (n: number) => `${logPath}.20200101-00000${n}`,
    async finish(complete = true) {
      await runtime.stop(id, 5000);
      await manager.stop();
      return checkInvariants(logPath, { maxFiles, complete });
    },
  };
}

describe('each interrupted state has one right answer', () => {
  it('live log renamed, reopen never happened (after-rename): reopen; the renamed file stays raw history', async () => {
    const s = await setup();
    await fsp.rename(s.logPath, s.rotated(1));
    await s.burst(); // the runtime still writes to the renamed file
    const report = await s.pass();
    expect(report.action).toBe('reopened');
    const scan = await scanLogDir(s.logPath);
    expect(scan.data.map((d) => d.path)).toEqual([s.rotated(1), s.logPath]);
    await s.burst(); // now into the new live file
    const check = await s.finish();
    results.push(`after-rename: ${report.action}; lost ${check.counters.lostCount}`);
    expect(check.violations, describeScan(check.scan)).toEqual([]);
  });

  it('the same, but the container stopped before crilog came back: no reopen, the history is compressed, nothing lost', async () => {
    const s = await setup();
    await fsp.rename(s.logPath, s.rotated(1));
    await s.runtime.stop(s.id, 5000); // its end line lands in the renamed file
    const report = await s.pass();
    expect(report.action, String(report.error)).not.toBe('failed');
    const check = await s.finish();
    // No live log: the container ended while its only file had the rotated name.
    expect(check.violations.filter((v) => !v.startsWith('live log'))).toEqual([]);
    results.push(
      `after-rename, container stopped: ${report.action}, files ${describeScan(check.scan)}; lost ${check.counters.lostCount}`,
    );
    expect(check.counters.lostCount).toBe(0);
  });

  it('the same, but the runtime reports the container state unknown: the renamed file it may still write to is left alone', async () => {
    const s = await setup();
    await fsp.rename(s.logPath, s.rotated(1));
    // containerd answers CONTAINER_UNKNOWN when it cannot reach a container's shim; the process may live on.
    const unknown: RuntimeService = {
      listContainers: async () =>
        (await s.runtime.listContainers()).map((c) => ({ ...c, state: 'unknown' as const })),
      containerStatus: async (id) => ({
        ...(await s.runtime.containerStatus(id)),
        state: 'unknown' as const,
      }),
      reopenContainerLog: (id) => s.runtime.reopenContainerLog(id),
    };
    const manager = new ContainerLogManager({ runtime: unknown, maxSize: '1Mi', maxFiles: 5 });
    cleanups.push(() => manager.stop());
    const report = (await manager.rotateOnce()).containers[0]!;
    await s.burst(); // still writing into the renamed file
    await s.pass(); // the runtime answers again: reopen
    await s.burst();
    const check = await s.finish();
    results.push(
      `after-rename, state unknown: ${report.action}, compressed ${report.compressed?.length ?? 0}; lost ${check.counters.lostCount}`,
    );
    expect(check.violations, describeScan(check.scan)).toEqual([]);
  });

  it('the same, state unknown and the node over its byte budget: the file it may write to is not deleted', async () => {
    const s = await setup();
    await fsp.rename(s.logPath, s.rotated(1));
    const unknown: RuntimeService = {
      listContainers: async () =>
        (await s.runtime.listContainers()).map((c) => ({ ...c, state: 'unknown' as const })),
      containerStatus: async (id) => ({
        ...(await s.runtime.containerStatus(id)),
        state: 'unknown' as const,
      }),
      reopenContainerLog: (id) => s.runtime.reopenContainerLog(id),
    };
    // A budget far below what the writer has written: every rotated file is a candidate.
    const manager = new ContainerLogManager({
      runtime: unknown,
      maxSize: '1Mi',
      maxFiles: 5,
      maxTotalSize: '1Ki',
    });
    cleanups.push(() => manager.stop());
    const removed: string[] = [];
    manager.on('budget', (e) => removed.push(...e.removed));
    await manager.rotateOnce();
    const stillThere = await fsp.lstat(s.rotated(1)).then(
      () => true,
      () => false,
    );
    if (stillThere) await s.burst(); // still writing into the renamed file
    await s.pass(); // the runtime answers again: reopen
    await s.burst();
    const check = await s.finish();
    results.push(
      `after-rename, state unknown, over budget: budget removed ${removed.length} file(s); lost ${check.counters.lostCount}`,
    );
    expect(removed, 'the budget deleted the file the runtime may still write to').toEqual([]);
    expect(check.violations, describeScan(check.scan)).toEqual([]);
  });

  it('a partial .tmp next to its raw file (compression interrupted): the .tmp goes, the raw file stays and is compressed later', async () => {
    const s = await setup();
    await fsp.rename(s.logPath, s.rotated(1));
    await s.pass(); // reopen
    await s.burst();
    await fsp.writeFile(`${s.rotated(1)}.tmp`, gzipSync(await fsp.readFile(s.rotated(1))).subarray(0, 50));
    const before = await fsp.readFile(s.rotated(1));
    const report = await s.pass();
    expect(report.removed).toContain(`${s.rotated(1)}.tmp`);
    const scan = await scanLogDir(s.logPath);
    expect(scan.tmp).toEqual([]);
    // Still raw while it is the newest rotation, or compressed from the intact raw file.
    expect(scan.data[0]?.codec === null ? await fsp.readFile(s.rotated(1)) : before).toEqual(before);
    const check = await s.finish();
    results.push(`partial .tmp: removed; lost ${check.counters.lostCount}`);
    expect(check.violations, describeScan(check.scan)).toEqual([]);
  });

  it('a raw file next to its complete .gz (after-compress-rename): the raw file goes', async () => {
    const s = await setup();
    await fsp.rename(s.logPath, s.rotated(1));
    await s.pass();
    await s.burst();
    await fsp.writeFile(`${s.rotated(1)}.gz`, gzipSync(await fsp.readFile(s.rotated(1))), { mode: 0o640 });
    const report = await s.pass();
    expect(report.removed).toEqual([s.rotated(1)]);
    const check = await s.finish();
    results.push(
      `raw + complete .gz: raw removed; lost ${check.counters.lostCount}, duplicated ${check.counters.duplicatedCount}`,
    );
    expect(check.violations, describeScan(check.scan)).toEqual([]);
  });

  it('the live log under a second, rotated name (after-link-back): the second name goes, the live log stays', async () => {
    const s = await setup();
    const ino = (await fsp.lstat(s.logPath)).ino;
    await fsp.link(s.logPath, s.rotated(1));
    const report = await s.pass();
    expect(report.removed).toEqual([s.rotated(1)]);
    expect((await fsp.lstat(s.logPath)).ino).toBe(ino);
    await s.burst();
    const check = await s.finish();
    results.push(`live log with a second name: name removed; lost ${check.counters.lostCount}`);
    expect(check.violations, describeScan(check.scan)).toEqual([]);
  });

  it('a rotated file and a newer live log of another inode (reopen answered late): both are history, nothing removed', async () => {
    const s = await setup();
    await fsp.rename(s.logPath, s.rotated(1));
    await s.runtime.reopenContainerLog(s.id);
    await s.burst();
    const report = await s.pass();
    expect(report.removed ?? []).toEqual([]);
    const check = await s.finish();
    results.push(`rotated + newer live: kept; lost ${check.counters.lostCount}`);
    expect(check.violations, describeScan(check.scan)).toEqual([]);
  });

  it('more rotated files than maxFiles allows (a trim interrupted, or maxFiles lowered): the oldest go', async () => {
    const s = await setup(3);
    for (let i = 1; i <= 5; i++) {
      await fsp.rename(s.logPath, s.rotated(i));
      await s.runtime.reopenContainerLog(s.id);
      await s.burst();
    }
    const report = await s.pass();
    const scan = await scanLogDir(s.logPath);
    expect(scan.data.length).toBeLessThanOrEqual(3);
    expect(report.removed).toEqual(expect.arrayContaining([s.rotated(1), s.rotated(2), s.rotated(3)]));
    const check = await s.finish(false);
    results.push(
      `excess files: ${report.removed?.length} removed, ${scan.data.length} kept; lost (beyond retention) ${check.counters.lostCount}`,
    );
    expect(check.violations, describeScan(check.scan)).toEqual([]);
  });
});
