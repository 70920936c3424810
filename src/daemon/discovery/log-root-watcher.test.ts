import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test/helpers/tmpdir.js';
import type { WatchFn } from '../trigger/log-trigger.js';
import { LogRootWatcher } from './log-root-watcher.js';

const watchers: LogRootWatcher[] = [];
afterEach(() => watchers.splice(0).forEach((w) => w.close()));

async function podTree() {
  const root = await tempDir('crilog-roots-');
  const container = path.join(root, 'default_web-0_uid-0', 'app');
  await fsp.mkdir(container, { recursive: true });
  await fsp.writeFile(path.join(container, '0.log'), '');
  return { root, container, live: path.join(container, '0.log') };
}

function watcher(options: ConstructorParameters<typeof LogRootWatcher>[0]) {
  const w = new LogRootWatcher(options);
  watchers.push(w);
  return w;
}

describe('LogRootWatcher', () => {
  it('sees new pod and container directories and new live logs under a real root', async () => {
    const { root, container } = await podTree();
    const w = watcher({ roots: [root] });
    await w.start();
    expect(w.watchedDirectories).toBe(3);
    expect(w.takeChanges()).toBe(false);

    const pod = path.join(root, 'default_api-1_uid-1');
    await fsp.mkdir(pod);
    await expect.poll(() => w.takeChanges()).toBe(true);
    await expect.poll(() => w.watchedDirectories).toBe(4);

    await fsp.mkdir(path.join(pod, 'api'));
    await expect.poll(() => w.takeChanges()).toBe(true);
    await expect.poll(() => w.watchedDirectories).toBe(5);

    // A restart: the kubelet's next live log in the same container directory.
    await fsp.writeFile(path.join(container, '1.log'), '');
    await expect.poll(() => w.takeChanges()).toBe(true);

    await fsp.rm(pod, { recursive: true });
    await expect.poll(() => w.takeChanges()).toBe(true);
    await expect.poll(() => w.watchedDirectories).toBe(3);
  });

  it('ignores writes, rotations and re-created known live logs', async () => {
    const { root, container, live } = await podTree();
    const listeners = new Map<string, (event: string, filename: string | null) => void>();
    const watch: WatchFn = (dir, listener) => {
      listeners.set(dir, listener);
      return { close: () => listeners.delete(dir), on: () => undefined as never };
    };
    const w = watcher({ roots: [root], watch });
    await w.start();
    w.setKnownLogs(new Set([live]));
    const inContainer = listeners.get(container)!;
    inContainer('change', '0.log');
    inContainer('rename', '0.log.20260101-000000');
    inContainer('rename', '0.log');
    inContainer('rename', '0.log.20260101-000000.gz');
    expect(w.takeChanges()).toBe(false);
    inContainer('rename', '0.log.20260101-000000.tmp');
    expect(w.takeChanges()).toBe(false);
    inContainer('rename', '1.log');
    expect(w.takeChanges()).toBe(true);
    // A flat layout (<root>/<name>/0.log, as crilog's local runtime writes): writes and rotations of a
    // known log in a directory one level up are no news either.
    const flat = path.join(root, 'default_web-0_uid-0');
    w.setKnownLogs(new Set([path.join(flat, '0.log')]));
    listeners.get(flat)!('change', '0.log');
    listeners.get(flat)!('rename', '0.log.20260101-000001');
    expect(w.takeChanges()).toBe(false);
    // An overflowed queue names no file: anything may have happened.
    inContainer('rename', null);
    expect(w.takeChanges()).toBe(true);
  });

  it('is unhealthy, so every pass lists, when a root cannot be watched', async () => {
    const root = await tempDir('crilog-roots-');
    const w = watcher({
      roots: [root, path.join(root, 'missing')],
      watch: () => {
        throw Object.assign(new Error('ENOSPC: inotify watch limit reached'), { code: 'ENOSPC' });
      },
    });
    await w.start();
    expect(w.healthy).toBe(false);
    expect(w.takeChanges()).toBe(true);
    expect(w.takeChanges()).toBe(true);
  });
});
