import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { LogTrigger, type LogTriggerOptions } from '../../src/daemon/trigger/log-trigger.js';
import { gzipUncompressedSize } from '../../src/daemon/usage/gzip-size.js';
import { ContainerLogManager } from '../../src/manager/container-log-manager.js';
import type { RotationEvent } from '../../src/manager/types.js';
import { listLogFiles } from '../../src/rotation/log-files.js';
import { tempDir } from '../helpers/tmpdir.js';
import { WriterRuntime } from './writer-runtime.js';

const MiB = 1024 * 1024;
const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

/** Resolves once `count` successful rotations happened; fails at the deadline instead of hanging. */
function rotations(
  manager: ContainerLogManager,
  count: number,
  deadlineMs = 20_000,
): Promise<RotationEvent[]> {
  const seen: RotationEvent[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`only ${seen.length} of ${count} rotations within ${deadlineMs} ms`)),
      deadlineMs,
    );
    const on = (e: RotationEvent) => {
      if (e.outcome !== 'success') return reject(e.error ?? new Error(`rotation ${e.outcome}`));
      seen.push(e);
      if (seen.length === count) {
        clearTimeout(timer);
        manager.off('rotation', on);
        resolve(seen);
      }
    };
    manager.on('rotation', on);
  });
}

/** Every byte the writer wrote, found across the live log and its rotations (gzip sizes from trailers). */
async function bytesOnDisk(logPath: string): Promise<number> {
  const set = await listLogFiles(logPath);
  let total = (await fsp.stat(logPath)).size;
  for (const r of set.rotated)
    total += r.codec === 'gzip' ? ((await gzipUncompressedSize(r.path)) ?? NaN) : r.size;
  return total;
}

async function runFastWriter(trigger: Partial<LogTriggerOptions>) {
  const dir = await tempDir('crilog-trigger-');
  const logPath = path.join(dir, 'pod', 'app', '0.log');
  await fsp.mkdir(path.dirname(logPath), { recursive: true });
  const limit = 4 * MiB;
  const runtime = new WriterRuntime('app', logPath, 10 * 1000 * 1000);
  cleanup.push(() => runtime.kill());
  await runtime.ready;
  // 10 MB/s fills the 4 MiB limit in 0.4 s; no periodic pass (an hour apart): only the trigger rotates here.
  const manager = new ContainerLogManager({
    runtime,
    maxSize: limit,
    maxFiles: 100,
    monitorInterval: 3_600_000,
  });
  const lt = new LogTrigger({ ...trigger, check: (id) => manager.checkContainer(id) });
  cleanup.push(() => lt.close());
  const done = rotations(manager, 4);
  const pass = await manager.rotateOnce();
  lt.update(
    pass.containers.flatMap((c) =>
      c.logPath && c.limit !== undefined ? [{ id: c.id, logPath: c.logPath, limit: c.limit }] : [],
    ),
  );
  const events = await done;
  lt.close();
  const { written, generations } = await runtime.stop();
  await manager.stop();
  return { events, written, generations, limit, logPath, lt };
}

describe('LogTrigger against a fast writer', () => {
  it('rotates near the limit on directory change events, losing no byte', async () => {
    const { events, written, generations, limit, logPath } = await runFastWriter({});
    // Every file but the last (still being written) was rotated by the trigger alone (the periodic
    // pass is an hour away). How far past the limit a file grows is timing, so it is measured by
    // bench/overshoot, not asserted here.
    const rotatedSizes = generations.slice(0, -1);
    expect(rotatedSizes.length).toBeGreaterThanOrEqual(4);
    for (const size of rotatedSizes) expect(size).toBeGreaterThanOrEqual(limit);
    expect(events.every((e) => e.outcome === 'success')).toBe(true);
    expect(await bytesOnDisk(logPath)).toBe(written);
  });

  it('falls back to rate-based checks where the directory cannot be watched', async () => {
    const { generations, limit, written, logPath } = await runFastWriter({
      watch: () => {
        throw Object.assign(new Error('inotify watch limit reached'), { code: 'ENOSPC' });
      },
    });
    // Rotations happened although nothing could be watched and no periodic pass ran.
    expect(generations.length).toBeGreaterThanOrEqual(5);
    for (const size of generations.slice(0, -1)) expect(size).toBeGreaterThanOrEqual(limit);
    expect(await bytesOnDisk(logPath)).toBe(written);
  });
});

describe('LogTrigger bookkeeping', () => {
  it('watches one directory per log directory and releases it when the container goes', async () => {
    const closed: string[] = [];
    const watched: string[] = [];
    const lt = new LogTrigger({
      check: async (id) => ({ id, action: 'none' }),
      watch: (dir) => {
        watched.push(dir);
        return { close: () => void closed.push(dir), on: () => undefined as never };
      },
    });
    lt.update([
      { id: 'a', logPath: '/logs/p/a/0.log', limit: 10 },
      { id: 'b', logPath: '/logs/p/a/1.log', limit: 10 },
      { id: 'c', logPath: '/logs/p/c/0.log', limit: 10 },
    ]);
    expect(watched).toEqual(['/logs/p/a', '/logs/p/c']);
    expect(lt.watchedDirectories).toBe(2);
    lt.update([{ id: 'b', logPath: '/logs/p/a/1.log', limit: 10 }]);
    expect(closed).toEqual(['/logs/p/c']);
    lt.update([{ id: 'b', logPath: '/logs/p/b/0.log', limit: 10 }]);
    expect(closed).toEqual(['/logs/p/c', '/logs/p/a']);
    lt.close();
    expect(lt.watchedDirectories).toBe(0);
  });

  it("tells whose rotated files changed in a watched directory, not a live log's writes", () => {
    const listeners = new Map<string, (event: string, name: string | null) => void>();
    const changed: string[] = [];
    const lt = new LogTrigger({
      check: async (id) => ({ id, action: 'none' }),
      watch: (dir, l) => {
        listeners.set(dir, l);
        return { close: () => {}, on: () => undefined as never };
      },
      onRotatedChange: (id) => changed.push(id),
    });
    cleanup.push(() => lt.close());
    lt.update([
      { id: 'a', logPath: '/logs/p/a/0.log', limit: 1 << 30 },
      { id: 'b', logPath: '/logs/p/a/1.log', limit: 1 << 30 },
    ]);
    expect(lt.watches('a')).toBe(true);
    expect(lt.watches('gone')).toBe(false);
    // What happened before the watch began was not seen.
    expect(changed.splice(0)).toEqual(['a', 'b']);
    const event = listeners.get('/logs/p/a')!;
    event('change', '0.log');
    event('rename', 'unrelated.txt');
    expect(changed).toEqual([]);
    event('rename', '0.log.20260101-000000.gz');
    event('rename', '1.log.20260101-000000');
    expect(changed).toEqual(['a', 'b']);
    event('rename', null);
    expect(changed).toEqual(['a', 'b', 'a', 'b']);
  });

  it('backs off after a failed check instead of hammering the runtime', async () => {
    const dir = await tempDir('crilog-trigger-');
    const logPath = path.join(dir, '0.log');
    await fsp.writeFile(logPath, Buffer.alloc(100));
    let listener: ((event: string, name: string | null) => void) | undefined;
    let checks = 0;
    let resolveFirst: () => void;
    const first = new Promise<void>((r) => (resolveFirst = r));
    const lt = new LogTrigger({
      throttleMs: 0,
      failureBackoffMs: 60_000,
      check: async (id) => {
        checks++;
        resolveFirst();
        return { id, action: 'failed', error: new Error('reopen failed') };
      },
      watch: (_dir, l) => {
        listener = l;
        return { close: () => {}, on: () => undefined as never };
      },
    });
    cleanup.push(() => lt.close());
    lt.update([{ id: 'a', logPath, limit: 10 }]);
    listener!('change', '0.log');
    await first;
    for (let i = 0; i < 20; i++) {
      listener!('change', '0.log');
      await new Promise((r) => setImmediate(r));
    }
    expect(checks).toBe(1);
  });
});
