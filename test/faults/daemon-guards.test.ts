import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { loadSettings } from '../../src/settings/index.js';
import { Daemon } from '../../src/daemon/daemon.js';
import type { RotationEvent } from '../../src/index.js';
import type { Logger } from '../../src/ports/logger.js';
import { runRuntimeServer } from '../../src/runtime/local/index.js';
import { useBuiltCli } from '../cli/build-cli.js';
import { isolatedFlags, killDaemons, spawnDaemon } from '../helpers/crash-daemon.js';
import { scanLogDir } from '../helpers/crash-logs.js';
import { COUNTER_WRITER, makeTempDir, waitFor } from '../helpers/crash-runtime.js';

/**
 * Fault class 5 (two crilog processes on one node) and 6 (log paths outside the allowed roots),
 * against the real daemon: the lock file refuses a second daemon with a message naming the first and
 * is taken over once its holder died; a log outside every `--log-root` is refused with one warning
 * and never touched, while logs inside keep rotating.
 */

const cli = useBuiltCli();

const cleanups: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  await killDaemons();
  while (cleanups.length) await cleanups.pop()!();
});

const results: string[] = [];
afterAll(() => {
  if (results.length) console.info(`[faults] daemon guards:\n  ${results.join('\n  ')}`);
});

describe('two crilog processes on one node', () => {
  it('the second is refused with a clear message; after the first is SIGKILLed its lock is taken over', async () => {
    const tmp = await makeTempDir('crilog-lock-');
    cleanups.push(tmp.remove);
    const flags = isolatedFlags(tmp.dir, [
      '--runtime-endpoint',
      `unix://${tmp.dir}/missing.sock`,
      '--log-root',
      `${tmp.dir}/pods`,
    ]);
    const first = spawnDaemon(cli.main, flags);
    await first.waitForLine('first started', (l) => l.msg === 'crilog daemon started');
    const second = spawnDaemon(cli.main, flags);
    const exit = await second.exited;
    expect(exit.code).toBe(1);
    const said = `${second.stderr()}\n${second.lines.map((l) => JSON.stringify(l)).join('\n')}`;
    expect(said).toContain('another crilog is running on this node');
    expect(said).toContain(`PID ${first.pid}`);
    expect(said).toContain(path.join(tmp.dir, 'crilog.lock'));
    expect(first.child.exitCode, 'the first keeps running').toBeNull();

    first.child.kill('SIGKILL');
    await first.exited;
    const third = spawnDaemon(cli.main, flags);
    await third.waitForLine('third started over the stale lock', (l) => l.msg === 'crilog daemon started');
    const lock = JSON.parse(await fsp.readFile(path.join(tmp.dir, 'crilog.lock'), 'utf8')) as { pid: number };
    expect(lock.pid).toBe(third.pid);
    third.child.kill('SIGTERM');
    expect(await third.exited).toEqual({ code: 0, signal: null });
    await expect(fsp.access(path.join(tmp.dir, 'crilog.lock'))).rejects.toThrow();
    results.push(
      'lock: second daemon refused (exit 1, names PID and lock file); stale lock of a SIGKILLed daemon taken over; released on SIGTERM',
    );
  });
});

describe('log paths outside the allowed roots', () => {
  /**
   * A daemon with one `--log-root` and three writers over CRI: one logging inside the root, one
   * outside it, one through a directory inside the root that is a symlink to one outside. Runs until
   * the inside log rotated three times and the outside one is well past its limit.
   */
  async function runWithRoots() {
    const tmp = await makeTempDir('crilog-roots-');
    cleanups.push(tmp.remove);
    const root = path.join(tmp.dir, 'pods');
    const outsideDir = path.join(tmp.dir, 'elsewhere');
    const linkedDir = path.join(tmp.dir, 'linked-target');
    await fsp.mkdir(root, { recursive: true });
    await fsp.mkdir(outsideDir, { recursive: true });
    await fsp.mkdir(linkedDir);
    await fsp.symlink(linkedDir, path.join(root, 'via-link'));
    const server = await runRuntimeServer({
      socket: path.join(tmp.dir, 'cri.sock'),
      logRoot: root,
      stopGracePeriodMs: 5000,
    });
    cleanups.push(() => server.close());
    const spec = (name: string) => ({
      name,
      command: process.execPath,
      args: [COUNTER_WRITER, 'stream', '40', '5'],
    });
    const paths = {
      inside: path.join(root, 'ns_inside_uid', 'c', '0.log'),
      outside: path.join(outsideDir, 'c', '0.log'),
      viaLink: path.join(root, 'via-link', 'c', '0.log'),
    };
    const ids = {
      inside: server.runtime.add(spec('inside'), { logPath: paths.inside }),
      outside: server.runtime.add(spec('outside'), { logPath: paths.outside }),
      viaLink: server.runtime.add(spec('vialink'), { logPath: paths.viaLink }),
    };
    await server.runtime.start();
    const warnings: { obj: Record<string, unknown>; msg: string | undefined }[] = [];
    const logger: Logger = {
      debug() {},
      info() {},
      warn: (obj, msg) => warnings.push({ obj: obj as Record<string, unknown>, msg }),
      error() {},
    };
    const config = await loadSettings({
      runtime: 'cri',
      runtimeEndpoint: `unix://${tmp.dir}/cri.sock`,
      logRoots: [root],
      lockFile: path.join(tmp.dir, 'crilog.lock'),
      maxSize: '24Ki',
      maxFiles: '3',
      monitorInterval: '50ms',
      metricsAddress: '127.0.0.1:0',
    });
    const daemon = new Daemon({ config, logger, trigger: false, defaultMetrics: false });
    await daemon.start();
    cleanups.push(() => daemon.stop());
    const rotations: RotationEvent[] = [];
    daemon.manager!.on('rotation', (r) => rotations.push(r));
    await waitFor(
      'three rotations of the log inside',
      () => rotations.filter((r) => r.id === ids.inside).length >= 3,
    );
    await waitFor(
      'the outside log past its limit',
      async () => (await fsp.stat(paths.outside)).size > 3 * 24 * 1024,
    );
    await daemon.stop();
    await server.close();
    const refused = (id: string) =>
      warnings.filter((w) => w.obj.id === id && /outside the allowed log roots/.test(w.msg ?? ''));
    return { paths, ids, linkedDir, rotations, refused };
  }

  it('are refused with one warning and never touched; logs inside rotate', async () => {
    const { paths, ids, rotations, refused } = await runWithRoots();
    const outsideScan = await scanLogDir(paths.outside);
    results.push(
      `roots: inside rotated ${rotations.filter((r) => r.id === ids.inside).length}x; outside: ` +
        `${refused(ids.outside).length} warning(s), ${outsideScan.data.length} file(s), ${rotations.filter((r) => r.id === ids.outside).length} rotations`,
    );
    expect(rotations.every((r) => r.id !== ids.outside)).toBe(true);
    expect(await fsp.readdir(path.dirname(paths.outside))).toEqual(['0.log']);
    expect(refused(ids.outside)).toHaveLength(1);
    expect(refused(ids.outside)[0]?.msg).toContain(paths.outside);
  });

  it('a path inside a root that leads outside through a symlinked directory is refused as well', async () => {
    const { ids, linkedDir, rotations, refused } = await runWithRoots();
    const touched = (await fsp.readdir(path.join(linkedDir, 'c'))).filter((f) => f !== '0.log');
    results.push(
      `roots: <root>/via-link -> outside: ${rotations.filter((r) => r.id === ids.viaLink).length} rotations, ` +
        `${refused(ids.viaLink).length} warning(s), ${touched.length} file(s) crilog made outside the root`,
    );
    expect(touched, 'files crilog created in a directory outside the root').toEqual([]);
    expect(refused(ids.viaLink)).toHaveLength(1);
  });
});
