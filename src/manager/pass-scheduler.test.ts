import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { FakeRuntime } from '../../test/helpers/fake-runtime.js';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { RuntimeUnavailableError } from '../errors/crilog-error.js';
import { nodeFileSystem, type FileSystem } from '../ports/file-system.js';
import type { ContainerInfo } from '../ports/runtime-service.js';
import { ContainerLogManager } from './container-log-manager.js';
import type { PassReport } from './types.js';
import { PassScheduler, type ChangeSnapshot, type ChangeTracker } from './pass-scheduler.js';

/** A tracker where the test says which containers changed. */
class Tracker implements ChangeTracker {
  readonly changed = new Set<string>();
  snapshot(): ChangeSnapshot {
    return new Map([[this, this.changed.size]]);
  }
  markChecked(): void {
    this.changed.clear();
  }
  needsCheck(id: string): boolean {
    return this.changed.has(id);
  }
}

const INTERVAL = 10_000;
const schedulers: PassScheduler[] = [];
afterEach(async () => {
  await Promise.all(schedulers.splice(0).map((s) => s.stop()));
});

/** A discovery where the test says when the log roots changed. */
class Discovery {
  changed = false;
  known: ReadonlySet<string> = new Set();
  takeChanges(): boolean {
    const c = this.changed;
    this.changed = false;
    return c;
  }
  setKnownLogs(paths: ReadonlySet<string>): void {
    this.known = paths;
  }
}

async function setup(
  fullPassEvery: number,
  verifyEvery = 1000,
  listing?: { discovery: Discovery; listEvery: number },
  fs: FileSystem = nodeFileSystem,
  extra: { maxAge?: string } = {},
  /** Hand out an unchanged container's entry again at each listing, as the CRI adapter does. */
  keepEntries = false,
) {
  const dir = await tempDir('crilog-sched-');
  const runtime = new FakeRuntime();
  for (const id of ['a', 'b', 'c']) {
    const logPath = path.join(dir, id, '0.log');
    await fsp.mkdir(path.dirname(logPath));
    await fsp.writeFile(logPath, 'x');
    runtime.add(id, logPath);
  }
  runtime.add('stopped', path.join(dir, 'stopped.log'), 'exited');
  // A fake clock: a pass runs only when the test asks for one, so nothing moves while a test writes.
  const clock = new FakeClock();
  const manager = new ContainerLogManager({
    runtime,
    clock,
    fs,
    maxSize: '1Mi',
    monitorInterval: INTERVAL,
    ...extra,
  });
  const tracker = new Tracker();
  const events: { kind: 'full' | 'quick'; report: PassReport; unchanged?: boolean }[] = [];
  const waiters: (() => void)[] = [];
  const record = (kind: 'full' | 'quick', report: PassReport, unchanged?: boolean) => {
    events.push({ kind, report, unchanged });
    waiters.splice(0).forEach((w) => w());
  };
  manager.on('pass', (r) => record('full', r));
  manager.on('quick-pass', (e) => record('quick', e.report, e.unchanged));
  const listErrors: Error[] = [];
  manager.on('runtime-error', (e) => listErrors.push(e.error));
  let lastList: Awaited<ReturnType<FakeRuntime['listContainers']>> | undefined;
  const listed = runtime.listContainers.bind(runtime);
  const kept = new Map<string, ContainerInfo>();
  const same = (c: ContainerInfo) => {
    const before = kept.get(c.id);
    if (before && JSON.stringify(before) === JSON.stringify(c)) return before;
    kept.set(c.id, c);
    return c;
  };
  runtime.listContainers = async () => (lastList = (await listed()).map((c) => (keepEntries ? same(c) : c)));
  const scheduler = new PassScheduler({
    ...(listing
      ? { discovery: listing.discovery, listEvery: listing.listEvery, lastListed: () => lastList }
      : {}),
    manager,
    tracker,
    fullPassEvery,
    verifyEvery,
  });
  schedulers.push(scheduler);
  /** Runs passes, one interval each, until `n` were reported in total. */
  const passes = async (n: number) => {
    while (events.length < n) {
      // The next pass is scheduled once the last one has settled.
      while (clock.pending === 0) await new Promise<void>((r) => setImmediate(r));
      const seen = events.length;
      clock.advance(INTERVAL);
      while (events.length === seen) await new Promise<void>((r) => waiters.push(r));
    }
    return events.slice(0, n);
  };
  return { runtime, tracker, scheduler, passes, events, listErrors, manager };
}

describe('PassScheduler', () => {
  it('checks every container in a full pass, then only the changed ones, with a full pass every N intervals', async () => {
    const { runtime, tracker, scheduler, passes } = await setup(3);
    scheduler.start();
    await passes(1);
    const running = () => ['a', 'b', 'c'].reduce((n, id) => n + runtime.count('containerStatus', id), 0);
    const statusAfterFull = running();
    expect(statusAfterFull).toBe(3);
    tracker.changed.add('b');
    const [, quick1, quick2, full2] = await passes(4);
    expect([quick1!.kind, quick2!.kind, full2!.kind]).toEqual(['quick', 'quick', 'full']);
    // Quick pass 1 checked only "b"; quick pass 2 none; the full pass all three.
    expect(running() - statusAfterFull).toBe(1 + 0 + 3);
    // A quick pass still reports every container, reusing what it knows of the unchanged ones.
    expect(quick2!.report.containers.map((c) => [c.id, c.action])).toEqual([
      ['a', 'none'],
      ['b', 'none'],
      ['c', 'none'],
      ['stopped', 'skipped'],
    ]);
    expect(runtime.count('listContainers')).toBeGreaterThanOrEqual(4);
  });

  it('checks a container no pass has reported yet, and falls back to a full pass after a failed list', async () => {
    const { runtime, scheduler, passes, listErrors, events } = await setup(100);
    scheduler.start();
    await passes(1);
    runtime.add('new', path.join(path.dirname(runtime.containers.get('a')!.logPath), '..', 'new.log'));
    runtime.fail('listContainers', new RuntimeUnavailableError('down'));
    await passes(2);
    expect(events[1]).toMatchObject({ kind: 'quick', report: { error: expect.any(Error) } });
    expect(listErrors).toHaveLength(1);
    runtime.clearFailures();
    const [, , recovered] = await passes(3);
    expect(recovered!.kind).toBe('full');
    expect(runtime.count('containerStatus', 'new')).toBe(1);
  });

  // A file-system port without the optional synchronous size: the verify stats go through lstat.
  const { lstatSync: _, ...asyncOnly } = nodeFileSystem;
  it.each([
    ['synchronously', nodeFileSystem],
    ['through lstat when the port has no lstatSync', asyncOnly],
  ])(
    'every few intervals, stats the live logs a watch vouched for (%s), and checks one that moved',
    async (_how, fs) => {
      const { runtime, scheduler, passes } = await setup(100, 2, undefined, fs);
      scheduler.start();
      await passes(1);
      // A write whose inotify event was lost: the tracker says nothing changed.
      await fsp.appendFile(runtime.containers.get('a')!.logPath, 'more');
      const before = runtime.count('containerStatus', 'a');
      // The stats are spread over the cycle (half the logs each pass here): within any two passes after
      // the write, "a" was stat'ed once and checked; the unchanged "b" never.
      const [, ...quick] = await passes(4);
      expect(quick.map((p) => p.kind)).toEqual(['quick', 'quick', 'quick']);
      expect(runtime.count('containerStatus', 'a') - before).toBe(1);
      expect(runtime.count('containerStatus', 'b')).toBe(1);
      expect(quick[2]!.report.containers.find((c) => c.id === 'a')).toMatchObject({
        action: 'none',
        size: 5,
      });
    },
  );

  it('with a discovery, lists containers only when the log roots changed and every listEvery intervals', async () => {
    const discovery = new Discovery();
    const { runtime, scheduler, passes } = await setup(100, 1000, { discovery, listEvery: 4 });
    scheduler.start();
    await passes(1);
    expect(runtime.count('listContainers')).toBe(1);
    // Quick passes 1-3 reuse the full pass's list; 4 lists as the safety net.
    await passes(4);
    expect(runtime.count('listContainers')).toBe(1);
    await passes(5);
    expect(runtime.count('listContainers')).toBe(2);
    // A new pod directory: the next pass lists and finds its container.
    runtime.add('new', path.join(path.dirname(runtime.containers.get('a')!.logPath), '..', 'new.log'));
    discovery.changed = true;
    const all = await passes(6);
    expect(runtime.count('listContainers')).toBe(3);
    expect(all[5]!.report.containers.map((c) => c.id)).toContain('new');
    expect(runtime.count('containerStatus', 'new')).toBe(1);
    // The discovery learns the managed live logs, so their re-creation after a rotation is no news.
    expect([...discovery.known].sort()).toEqual(
      ['a', 'b', 'c']
        .map((id) => runtime.containers.get(id)!.logPath)
        .concat(path.join(path.dirname(runtime.containers.get('a')!.logPath), '..', 'new.log'))
        .sort(),
    );
  });

  it('with a discovery, spreads the full check of every container over a cycle of quick passes', async () => {
    const discovery = new Discovery();
    const { runtime, scheduler, passes } = await setup(3, 1000, { discovery, listEvery: 1000 });
    const ids = ['a', 'b', 'c', 'stopped'];
    const statuses = () => ids.map((id) => runtime.count('containerStatus', id));
    scheduler.start();
    await passes(1);
    expect(statuses()).toEqual([1, 1, 1, 1]);
    // Two cycles of three quick passes: no full pass, yet each container is looked at once per cycle:
    // checked in the first, and in the second only if something changed since (here only the stopped
    // one, which has no last report to compare with, is checked again).
    const all = await passes(7);
    expect(all.slice(1).map((p) => p.kind)).toEqual(Array(6).fill('quick'));
    expect(statuses()).toEqual([2, 2, 2, 3]);
    // A container removed: the next cycle starts with the manager's full pass, which prunes it.
    runtime.containers.delete('c');
    discovery.changed = true;
    const more = await passes(11);
    expect(more.slice(7).map((p) => p.kind)).toContain('full');
  });

  it('checks a quiet container again in its slice only once its directory or live log changed', async () => {
    const discovery = new Discovery();
    const { runtime, scheduler, passes } = await setup(3, 1000, { discovery, listEvery: 1000 });
    const statusOfA = () => runtime.count('containerStatus', 'a');
    scheduler.start();
    await passes(7); // the full pass, a cycle that finds every container quiet, a cycle that skips them
    expect(statusOfA()).toBe(2);
    // Rotated files appear (a kubelet's rotations, say): the next look differs, so "a" is checked and
    // the older raw rotation compressed (the newest stays raw, as the kubelet keeps it).
    const logPath = runtime.containers.get('a')!.logPath;
    await fsp.writeFile(`${logPath}.20260101-000000`, 'old\n');
    await fsp.writeFile(`${logPath}.20260101-000001`, 'newer\n');
    await passes(10);
    expect(statusOfA()).toBe(3);
    const raw = `${logPath}.20260101-000000`;
    const exists = (p: string) =>
      fsp.access(p).then(
        () => true,
        () => false,
      );
    let n = 10;
    while ((await exists(raw)) || !(await exists(`${raw}.gz`))) await passes(++n);
    // The compression changed the directory again: checked at most once more, then quiet for good.
    const checked = statusOfA();
    await passes(n + 6);
    const settled = statusOfA();
    expect(settled - checked).toBeLessThanOrEqual(1);
    await passes(n + 12);
    expect(statusOfA()).toBe(settled);
  });

  it('looks at a container whose directory is flooded with other files as at any other (no listing)', async () => {
    const discovery = new Discovery();
    const { runtime, scheduler, passes } = await setup(3, 1000, { discovery, listEvery: 1000 });
    // Files that are no rotations of the log: the check leaves them, and the stamp never lists them.
    const dir = path.dirname(runtime.containers.get('b')!.logPath);
    await Promise.all(Array.from({ length: 500 }, (_, i) => fsp.writeFile(path.join(dir, `other-${i}`), '')));
    scheduler.start();
    await passes(10);
    expect(['a', 'b'].map((id) => runtime.count('containerStatus', id))).toEqual([2, 2]);
  });

  it('never skips the check of a container whose policy time can make due (maxAge)', async () => {
    const discovery = new Discovery();
    const { runtime, scheduler, passes } = await setup(
      3,
      1000,
      { discovery, listEvery: 1000 },
      nodeFileSystem,
      {
        maxAge: '7d',
      },
    );
    scheduler.start();
    await passes(7);
    expect(['a', 'b', 'c'].map((id) => runtime.count('containerStatus', id))).toEqual([3, 3, 3]);
  });

  it('forgets every quiet container when the options change (a live reload)', async () => {
    const discovery = new Discovery();
    const { runtime, scheduler, passes, manager } = await setup(3, 1000, { discovery, listEvery: 1000 });
    scheduler.start();
    await passes(7);
    expect(runtime.count('containerStatus', 'a')).toBe(2);
    manager.reconfigure({ maxSize: '2Mi', monitorInterval: INTERVAL });
    await passes(10);
    expect(runtime.count('containerStatus', 'a')).toBe(3);
  });

  it('reports a quick pass as unchanged only when the same containers were all found as before', async () => {
    const discovery = new Discovery();
    const { runtime, tracker, scheduler, passes } = await setup(2, 1000, { discovery, listEvery: 1000 });
    runtime.containers.delete('stopped');
    scheduler.start();
    // The first quick pass follows a full pass; the next ones (spread full checks included) find all as it was.
    const first = await passes(5);
    expect(first.slice(1).map((p) => p.unchanged)).toEqual([false, true, true, true]);
    await fsp.appendFile(runtime.containers.get('b')!.logPath, 'more');
    tracker.changed.add('b');
    // Passes run back to back here: the first one that saw the write reports a change, the next none.
    const sizeOfB = (p: { report: PassReport }) => p.report.containers.find((c) => c.id === 'b')?.size;
    let n = 6;
    while (sizeOfB((await passes(n))[n - 1]!) !== 5) n++;
    const [grown, after] = (await passes(n + 1)).slice(n - 1);
    expect([grown!.unchanged, after!.unchanged]).toEqual([false, true]);
  });

  it('reports a pass that listed as unchanged when the runtime handed out the same entries, stopped ones included', async () => {
    for (const keepEntries of [false, true]) {
      const discovery = new Discovery();
      const { scheduler, passes, runtime } = await setup(
        1000,
        1000,
        { discovery, listEvery: 2 },
        nodeFileSystem,
        {},
        keepEntries,
      );
      scheduler.start();
      // A full pass, then quick ones; the even ones list. The stopped container spoils none of them.
      const unchanged = (await passes(7)).slice(1).map((p) => p.unchanged);
      expect(unchanged).toEqual(
        keepEntries ? [false, true, true, true, true, true] : [false, false, true, false, true, false],
      );
      expect(runtime.count('listContainers')).toBe(4);
    }
  });

  it('does nothing when rotation is off', async () => {
    const runtime = new FakeRuntime();
    const manager = new ContainerLogManager({ runtime, maxSize: -1 });
    const scheduler = new PassScheduler({ manager });
    schedulers.push(scheduler);
    scheduler.start();
    await scheduler.stop();
    expect(runtime.calls).toEqual([]);
  });
});
