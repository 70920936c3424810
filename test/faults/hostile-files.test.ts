import { constants, promises as fsp } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import {
  ContainerLogManager,
  hasErrorCode,
  nodeFileSystem,
  type CompressionEvent,
  type FileSystem,
  type PassReport,
  type RotationEvent,
} from '../../src/index.js';
import { parseRotatedName } from '../../src/rotation/naming.js';
import { LocalRuntime } from '../../src/runtime/local/index.js';
import { checkInvariants, describeScan, scanLogDir } from '../helpers/crash-logs.js';
import { COUNTER_WRITER, makeTempDir, waitFor } from '../helpers/crash-runtime.js';

/**
 * Fault class 5: hostile and odd files. Links to files outside the log directory and directories
 * with rotated-file names sit among the rotations; names carry spaces and newlines; someone else
 * deletes files in the middle of a pass. crilog never follows, deletes or writes through what it did
 * not make, keeps its own bounds, and loses nothing it is responsible for.
 */

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

const results: string[] = [];
afterAll(() => {
  if (results.length) console.info(`[faults] hostile and odd files:\n  ${results.join('\n  ')}`);
});

/** A counter writer logging to `logPath` and a manager for it. */
async function scenario(logPath: string, opts: { maxFiles: number; fs?: FileSystem }) {
  await fsp.mkdir(path.dirname(logPath), { recursive: true });
  const runtime = new LocalRuntime({ logRoot: path.dirname(logPath), stopGracePeriodMs: 5000 });
  const id = runtime.add(
    { name: 'counter', command: process.execPath, args: [COUNTER_WRITER, 'stream', '40', '5'] },
    { logPath },
  );
  cleanups.push(() => runtime.stopAll(0));
  await runtime.start();
  const manager = new ContainerLogManager({
    runtime,
    maxSize: '24Ki',
    maxFiles: opts.maxFiles,
    ...(opts.fs ? { fs: opts.fs } : {}),
  });
  cleanups.push(() => manager.stop());
  const rotations: RotationEvent[] = [];
  const compressions: CompressionEvent[] = [];
  const passes: PassReport[] = [];
  manager.on('rotation', (e) => rotations.push(e));
  manager.on('compression', (e) => compressions.push(e));
  manager.on('pass', (p) => passes.push(p));
  const rotated = () => rotations.filter((r) => r.outcome === 'success').length;
  return {
    runtime,
    id,
    manager,
    rotations,
    compressions,
    passes,
    /** Runs passes until `n` more rotations succeeded. */
    async rotate(n: number) {
      const target = rotated() + n;
      await waitFor(`${n} rotations`, async () => {
        await manager.rotateOnce();
        return rotated() >= target;
      });
    },
    async stop() {
      await runtime.stop(id, 5000);
      await manager.stop();
    },
  };
}

async function snapshot(file: string) {
  const st = await fsp.lstat(file);
  return { mode: st.mode, ino: st.ino, content: st.isFile() ? await fsp.readFile(file, 'latin1') : '' };
}

describe('hostile and odd files', () => {
  it('symlinks to files outside, named like rotations, are never followed; links at the .tmp names crilog owns are unlinked', async () => {
    const tmp = await makeTempDir('crilog-hostile-');
    cleanups.push(tmp.remove);
    const outside = path.join(tmp.dir, 'outside');
    await fsp.mkdir(outside);
    const targets = {
      secret: path.join(outside, 'secret'),
      gz: path.join(outside, 'secret.gz'),
      tmp: path.join(outside, 'victim'),
    };
    await fsp.writeFile(targets.secret, 'SECRET\n', { mode: 0o600 });
    await fsp.writeFile(targets.gz, gzipSync('SECRET GZ\n'), { mode: 0o600 });
    await fsp.writeFile(targets.tmp, 'VICTIM\n', { mode: 0o644 });
    const logPath = path.join(tmp.dir, 'pods', 'ctr', '0.log');
    await fsp.mkdir(path.dirname(logPath), { recursive: true });
    // Named like data files: never followed, removed or counted.
    const dataLinks = {
      [`${logPath}.20000101-000000`]: targets.secret,
      [`${logPath}.20000101-000001.gz`]: targets.gz,
    };
    for (const [link, target] of Object.entries(dataLinks)) await fsp.symlink(target, link);
    // Named like a leftover of an interrupted compression: crilog's scratch name, so the link itself goes.
    const staleTmpLink = `${logPath}.20000101-000002.tmp`;
    await fsp.symlink(targets.tmp, staleTmpLink);
    const before = Object.fromEntries(
      await Promise.all(Object.values(targets).map(async (t) => [t, await snapshot(t)] as const)),
    );
    const s = await scenario(logPath, { maxFiles: 3 });
    await s.rotate(2);
    // A link planted where the next compression writes its .tmp: removed before the compression runs,
    // and should one be planted in between, O_EXCL|O_NOFOLLOW refuses to write through it.
    const newestRaw = (await scanLogDir(logPath)).data.filter((d) => !d.live && d.codec === null).at(-1)!;
    const plantedTmp = `${newestRaw.path}.tmp`;
    await fsp.symlink(targets.tmp, plantedTmp);
    await s.rotate(4);
    await s.stop();

    for (const [link, target] of Object.entries(dataLinks)) expect(await fsp.readlink(link)).toBe(target);
    for (const [t, snap] of Object.entries(before)) expect(await snapshot(t), t).toEqual(snap);
    expect(await fsp.readdir(outside)).toEqual(['secret', 'secret.gz', 'victim']);
    await expect(fsp.lstat(staleTmpLink), 'stale .tmp link').rejects.toThrow(/ENOENT/);
    await expect(fsp.lstat(plantedTmp), 'planted .tmp link').rejects.toThrow(/ENOENT/);
    const failed = s.compressions.filter((c) => c.outcome === 'error');
    const check = await checkInvariants(logPath, { maxFiles: 3, complete: false });
    results.push(
      `symlinks: ${s.rotations.length} rotations, ${s.compressions.length - failed.length} compressions, ${failed.length} failed; ` +
        `data-named links and all targets untouched; .tmp-named links unlinked; lost ${check.counters.lostCount}`,
    );
    expect(failed.map((f) => String(f.error))).toEqual([]);
    expect(check.violations, describeScan(check.scan)).toEqual([]);
  });

  it('directories named like rotated files (one dated in the future) are left alone and never collide', async () => {
    const tmp = await makeTempDir('crilog-hostile-');
    cleanups.push(tmp.remove);
    const logPath = path.join(tmp.dir, 'pods', 'ctr', '0.log');
    await fsp.mkdir(path.dirname(logPath), { recursive: true });
    const dirs = [
      `${logPath}.20000101-000000`,
      `${logPath}.20000101-000001.gz`,
      `${logPath}.20991231-235959`,
    ];
    for (const d of dirs) {
      await fsp.mkdir(d);
      await fsp.writeFile(path.join(d, 'inside'), 'keep me\n');
    }
    const s = await scenario(logPath, { maxFiles: 3 });
    await s.rotate(5);
    await s.stop();
    for (const d of dirs) expect(await fsp.readFile(path.join(d, 'inside'), 'utf8')).toBe('keep me\n');
    const check = await checkInvariants(logPath, { maxFiles: 3, complete: false });
    expect(check.scan.ignored.sort()).toEqual([...dirs].sort());
    // The future-dated directory pushes new names past it; they still sort in rotation order.
    for (const d of check.scan.data.filter((f) => !f.live))
      expect(parseRotatedName('0.log', path.basename(d.path))?.stamp).toBe('20991231-235959');
    results.push(`directories: ${s.rotations.length} rotations, lost ${check.counters.lostCount}`);
    expect(check.violations, describeScan(check.scan)).toEqual([]);
  });

  it('a live log that is a symlink is refused, never renamed', async () => {
    const tmp = await makeTempDir('crilog-hostile-');
    cleanups.push(tmp.remove);
    const target = path.join(tmp.dir, 'elsewhere.log');
    const logPath = path.join(tmp.dir, 'pods', 'ctr', '0.log');
    await fsp.mkdir(path.dirname(logPath), { recursive: true });
    await fsp.writeFile(target, '');
    await fsp.symlink(target, logPath);
    const s = await scenario(logPath, { maxFiles: 3 });
    await waitFor('the target past the limit', async () => (await fsp.stat(target)).size > 48 * 1024);
    const report = await s.manager.rotateOnce();
    expect(
      hasErrorCode(report.containers[0]?.error, 'ERR_UNSAFE_PATH'),
      String(report.containers[0]?.error),
    ).toBe(true);
    expect(await fsp.readlink(logPath)).toBe(target);
    expect((await fsp.readdir(path.dirname(logPath))).sort()).toEqual(['0.log']);
    await s.stop();
    results.push('live log symlink: refused, 0 renames');
  });

  it('names with spaces and newlines, in the directory and the log name, rotate and compress like any other', async () => {
    const tmp = await makeTempDir('crilog-hostile-');
    cleanups.push(tmp.remove);
    const logPath = path.join(tmp.dir, 'pods', 'ns_pod with spaces\nand a newline_uid', 'ctr \n name.log');
    const s = await scenario(logPath, { maxFiles: 4 });
    await s.rotate(6);
    await s.stop();
    const check = await checkInvariants(logPath, { maxFiles: 4, complete: false });
    expect(check.scan.data.filter((d) => d.codec === 'gzip').length).toBeGreaterThanOrEqual(1);
    results.push(
      `spaces and newlines: ${s.rotations.length} rotations, ${s.compressions.length} compressions, lost ${check.counters.lostCount}`,
    );
    expect(check.violations, describeScan(check.scan)).toEqual([]);
  });

  it('rotated files deleted by someone else mid-pass: no crash, no .tmp, only their lines are gone', async () => {
    const tmp = await makeTempDir('crilog-hostile-');
    cleanups.push(tmp.remove);
    const logPath = path.join(tmp.dir, 'pods', 'ctr', '0.log');
    const sabotage: { when: 'readdir' | 'compress-open' | 'trim' | 'rename' | null } = { when: null };
    const events: string[] = [];
    // Open handles on what the stranger deleted: the runtime may go on writing into a deleted live inode.
    const stolen: { file: string; handle: FileHandle }[] = [];
    cleanups.push(() => Promise.all(stolen.map((s) => s.handle.close())));
    const steal = async (file: string) => {
      let handle: FileHandle;
      try {
        handle = await fsp.open(file, 'r');
        await fsp.unlink(file);
      } catch {
        return;
      }
      stolen.push({ file, handle });
      events.push(`${sabotage.when}: deleted ${path.basename(file)}`);
      sabotage.when = null;
    };
    const isRotated = (p: string) => {
      const parsed = parseRotatedName('0.log', path.basename(p));
      return parsed !== null && !parsed.tmp && path.dirname(p) === path.dirname(logPath);
    };
    const fs: FileSystem = {
      ...nodeFileSystem,
      async readdir(dir) {
        const entries = await nodeFileSystem.readdir(dir);
        if (sabotage.when === 'readdir') {
          const victim = entries.filter((e) => isRotated(path.join(dir, e))).sort()[0];
          if (victim) await steal(path.join(dir, victim));
        }
        return entries;
      },
      async open(p, flags, mode) {
        if (
          sabotage.when === 'compress-open' &&
          isRotated(p) &&
          (flags & (constants.O_WRONLY | constants.O_RDWR)) === 0
        )
          await steal(p);
        return nodeFileSystem.open(p, flags, mode);
      },
      async unlink(p) {
        if (sabotage.when === 'trim' && isRotated(p)) await steal(p);
        return nodeFileSystem.unlink(p);
      },
      async rename(from, to) {
        // The live log vanishes between lstat and rename; the runtime keeps writing into the deleted inode.
        if (sabotage.when === 'rename' && from === logPath) await steal(from);
        return nodeFileSystem.rename(from, to);
      },
      async link(from, to) {
        // The rotation's rename is a link() then unlink(), so that it never replaces a file.
        if (sabotage.when === 'rename' && from === logPath) await steal(from);
        return nodeFileSystem.link(from, to);
      },
    };
    const s = await scenario(logPath, { maxFiles: 4, fs });
    await s.rotate(3);
    const failures: string[] = [];
    for (const when of ['readdir', 'compress-open', 'trim', 'rename'] as const) {
      sabotage.when = when;
      await waitFor(`a pass that meets the ${when} sabotage`, async () => {
        const report = await s.manager.rotateOnce();
        for (const c of report.containers) if (c.error) failures.push(`${when}: ${c.error.message}`);
        return sabotage.when === null;
      });
      await s.rotate(2);
    }
    await s.stop();
    const deleted = new Set<number>();
    for (const { file, handle } of stolen) {
      const data = await handle.readFile();
      const text = (file.endsWith('.gz') ? gunzipSync(data) : data).toString('utf8');
      for (const m of text.matchAll(/ F line (\d+)/g)) deleted.add(Number(m[1]));
    }
    const check = await checkInvariants(logPath, { maxFiles: 4, complete: false });
    const present = new Set(check.history.numbers);
    let lostToStranger = 0;
    const lostByCrilog: number[] = [];
    for (let n = check.counters.first; n < check.counters.written; n++) {
      if (present.has(n)) continue;
      if (deleted.has(n)) lostToStranger++;
      else lostByCrilog.push(n);
    }
    results.push(
      `deleted mid-pass: ${events.join('; ')}; failed passes ${failures.length} (${failures.map((f) => f.slice(0, 70)).join(' | ')}); ` +
        `lines lost with the deleted files ${lostToStranger}, lost by crilog ${lostByCrilog.length}`,
    );
    expect(events).toHaveLength(4);
    expect(lostByCrilog.slice(0, 20)).toEqual([]);
    expect(
      check.violations.filter((v) => !v.includes('lines lost')),
      describeScan(check.scan),
    ).toEqual([]);
    // Only the sabotaged rename may fail its pass; the pass after it reopens the missing live log.
    expect(
      failures.every((f) => f.startsWith('rename:')),
      failures.join('\n'),
    ).toBe(true);
  });
});
