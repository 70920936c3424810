import { promises as fsp } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { readContainerLogs, readLogs } from '../../src/reader/index.js';
import type { ReadSummary } from '../../src/reader/types.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';
import { tempDir } from '../helpers/tmpdir.js';
import { BASE_MS, cri, rotatedName, writeRecords } from './history-fixture.js';

/** Polls `cond` until it holds; fails after `ms`. */
async function waitFor(cond: () => boolean, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/**
 * Writes a container log the way a CRI runtime does: through a descriptor it keeps open, so writes
 * after the rename land in the renamed file until `reopen` creates a new live file.
 */
class SimRuntime {
  #fd: fsp.FileHandle | null = null;
  #seq = 0;
  #rotations = 0;
  constructor(readonly logPath: string) {}

  async open(): Promise<void> {
    this.#fd = await fsp.open(this.logPath, 'a');
  }

  /** Writes one CRI record and returns the output line it completes (if F). */
  async write(stream: 'stdout' | 'stderr', tag: 'P' | 'F', content: string): Promise<void> {
    await this.#fd!.write(cri(BASE_MS + 1_000_000 + this.#seq++, stream, tag, content) + '\n');
  }

  /** Renames the live log away (what the log manager does); the runtime keeps writing to it. */
  async rename(): Promise<string> {
    const target = rotatedName(this.logPath, 100 + this.#rotations++);
    await fsp.rename(this.logPath, target);
    return target;
  }

  /** The runtime's reopen: a new live file at the same path. */
  async reopen(): Promise<void> {
    const old = this.#fd;
    await this.open();
    await old?.close();
  }

  async close(): Promise<void> {
    await this.#fd?.close();
  }
}

async function compress(raw: string): Promise<void> {
  await fsp.writeFile(raw + '.gz', zlib.gzipSync(await fsp.readFile(raw)));
  await fsp.unlink(raw);
}

const running: { abort: AbortController; done: Promise<unknown> }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.abort.abort();
    await r.done.catch(() => {});
  }
});

function startFollow(logPath: string, options: Parameters<typeof readLogs>[1] = {}) {
  const lines: string[] = [];
  const warnings: string[] = [];
  const abort = new AbortController();
  const done = readLogs(
    logPath,
    {
      follow: true,
      signal: abort.signal,
      pollIntervalMs: 50,
      onWarning: (w) => warnings.push(w),
      ...options,
    },
    (l) => lines.push(l),
  );
  running.push({ abort, done });
  return { lines, warnings, abort, done };
}

describe('follow', () => {
  it('survives three rotations done while reading, losing and repeating nothing', async () => {
    const dir = await tempDir('crilog-follow-');
    const logPath = path.join(dir, 'c.log');
    await writeRecords(
      rotatedName(logPath, 0, 'gz'),
      [{ text: cri(BASE_MS, 'stdout', 'F', 'old-0'), line: 0 }],
      'gz',
    );
    const rt = new SimRuntime(logPath);
    await rt.open();
    await rt.write('stdout', 'F', 'live-0');
    const want = ['old-0', 'live-0'];
    const f = startFollow(logPath);
    await waitFor(() => f.lines.length === 2, 'the history');

    // Rotation 1: the runtime writes between the rename and its reopen, and a line is split across it.
    for (let i = 0; i < 50; i++) await rt.write('stdout', 'F', `a-${i}`);
    await rt.write('stderr', 'P', 'split-');
    const first = await rt.rename();
    await rt.write('stdout', 'F', 'after-rename');
    await rt.write('stderr', 'P', 'across-');
    await rt.reopen();
    await rt.write('stderr', 'F', 'rotation');
    await compress(first);
    want.push(...Array.from({ length: 50 }, (_, i) => `a-${i}`), 'after-rename', 'split-across-rotation');
    await waitFor(() => f.lines.length === want.length, 'lines after rotation 1');

    // Rotations 2 and 3 back to back, before the follower can look: it must read the middle file from the listing.
    await rt.write('stdout', 'F', 'b-0');
    await rt.rename();
    await rt.reopen();
    await rt.write('stdout', 'F', 'c-0');
    await rt.write('stdout', 'P', 'c-');
    const third = await rt.rename();
    await rt.reopen();
    await compress(third);
    await rt.write('stdout', 'F', 'end');
    for (let i = 0; i < 20; i++) await rt.write('stderr', 'F', `d-${i}`);
    want.push('b-0', 'c-0', 'c-end', ...Array.from({ length: 20 }, (_, i) => `d-${i}`));
    await waitFor(() => f.lines.length >= want.length, 'lines after rotations 2 and 3');

    // A quiet moment, then more: nothing repeated.
    await rt.write('stdout', 'F', 'last');
    want.push('last');
    await waitFor(() => f.lines.length >= want.length, 'the last line');
    f.abort.abort();
    const summary = (await f.done) as ReadSummary;
    await rt.close();
    expect(f.lines).toEqual(want);
    expect(f.warnings).toEqual([]);
    expect(summary.lines).toBe(want.length);
  });

  it('waits for a new live file while the old one is renamed away but still written', async () => {
    const dir = await tempDir('crilog-follow-');
    const logPath = path.join(dir, 'c.log');
    const rt = new SimRuntime(logPath);
    await rt.open();
    const f = startFollow(logPath);
    await rt.write('stdout', 'F', 'one');
    await waitFor(() => f.lines.length === 1, 'one');
    await rt.rename();
    await rt.write('stdout', 'F', 'two');
    await waitFor(() => f.lines.length === 2, 'a line written to the renamed file');
    // The new live file exists but is empty: the old one may still get lines.
    await rt.reopen();
    await fsp.appendFile(rotatedName(logPath, 100), cri(BASE_MS + 5, 'stdout', 'F', 'late') + '\n');
    await waitFor(() => f.lines.length === 3, 'a late line in the old file');
    await rt.write('stdout', 'F', 'three');
    await waitFor(() => f.lines.length === 4, 'the new file');
    await rt.close();
    expect(f.lines).toEqual(['one', 'two', 'late', 'three']);
  });

  it('follows the newest rotation when a rotation slips in between its look at the live log and its listing', async () => {
    const dir = await tempDir('crilog-follow-');
    const logPath = path.join(dir, 'c.log');
    const rt = new SimRuntime(logPath);
    await rt.open();
    await rt.write('stdout', 'F', 'first-0');
    const f = startFollow(logPath);
    await waitFor(() => f.lines.length === 1, 'the history');
    // A rotation completes: the follower will see a new live file with a line in it.
    await rt.rename();
    await rt.write('stdout', 'F', 'first-1');
    await rt.reopen();
    // The next rotation lands right after the follower has looked at that new file (its inode differs,
    // so it switches) and before it lists the directory: it finds no live file, only rotations.
    const lstat = fsp.lstat.bind(fsp);
    let armed = true;
    const spy = vi.spyOn(fsp, 'lstat').mockImplementation(async (p, ...rest) => {
      const st = await lstat(p as string, ...(rest as []));
      if (armed && p === logPath) {
        armed = false;
        await rt.rename();
      }
      return st;
    });
    try {
      await rt.write('stdout', 'F', 'second-0');
      await waitFor(() => !armed, 'the follower to look');
      await waitFor(() => f.lines.length === 3, 'the lines before the second rename');
      // The runtime still writes to the renamed file until it reopens: those lines must not be lost.
      await rt.write('stdout', 'F', 'second-1');
      await rt.reopen();
      await rt.write('stdout', 'F', 'third-0');
      await waitFor(() => f.lines.length >= 5, 'the lines after the reopen');
    } finally {
      spy.mockRestore();
    }
    f.abort.abort();
    await f.done;
    await rt.close();
    expect(f.lines).toEqual(['first-0', 'first-1', 'second-0', 'second-1', 'third-0']);
    expect(f.warnings).toEqual([]);
  });

  it('starts on a live file that does not exist yet', async () => {
    const dir = await tempDir('crilog-follow-');
    const logPath = path.join(dir, 'c.log');
    const f = startFollow(logPath, { tail: 10 });
    const rt = new SimRuntime(logPath);
    await rt.open();
    await rt.write('stdout', 'F', 'hello');
    await waitFor(() => f.lines.length === 1, 'hello');
    await rt.close();
    expect(f.lines).toEqual(['hello']);
  });

  it('combines with tail and stops at limitBytes', async () => {
    const dir = await tempDir('crilog-follow-');
    const logPath = path.join(dir, 'c.log');
    const rt = new SimRuntime(logPath);
    await rt.open();
    for (let i = 0; i < 10; i++) await rt.write('stdout', 'F', `h-${i}`);
    const f = startFollow(logPath, { tail: 2, limitBytes: 20 });
    await waitFor(() => f.lines.length === 2, 'the tail');
    expect(f.lines).toEqual(['h-8', 'h-9']);
    await rt.write('stdout', 'F', 'more-1');
    await rt.write('stdout', 'F', 'more-2');
    const summary = (await f.done) as ReadSummary;
    await rt.close();
    // "h-8\nh-9\nmore-1\n" is 15 bytes: 5 are left for the last line.
    expect(f.lines).toEqual(['h-8', 'h-9', 'more-1', 'more-']);
    expect(summary.limitReached).toBe(true);
    expect(summary.bytes).toBe(20);
  });

  it('ends when aborted while waiting, and writes a partial line it holds', async () => {
    const dir = await tempDir('crilog-follow-');
    const logPath = path.join(dir, 'c.log');
    const rt = new SimRuntime(logPath);
    await rt.open();
    await rt.write('stdout', 'F', 'x');
    await rt.write('stdout', 'P', 'half');
    const f = startFollow(logPath);
    await waitFor(() => f.lines.length === 1, 'x');
    f.abort.abort();
    await f.done;
    await rt.close();
    expect(f.lines).toEqual(['x', 'half']);
  });
});

describe('readContainerLogs', () => {
  it('follows until the container stops, then reads what it wrote last', async () => {
    const dir = await tempDir('crilog-follow-');
    const logPath = path.join(dir, 'c.log');
    const rt = new SimRuntime(logPath);
    await rt.open();
    await rt.write('stdout', 'F', 'start');
    const runtime = new FakeRuntime();
    runtime.add('abc', logPath, 'running');
    const lines: string[] = [];
    const done = readContainerLogs(
      runtime,
      'abc',
      { follow: true, statusIntervalMs: 20, pollIntervalMs: 10_000 },
      (l) => lines.push(l),
    );
    await waitFor(() => lines.length === 1, 'start');
    await rt.write('stdout', 'F', 'bye');
    await rt.rename();
    await rt.reopen();
    await rt.close();
    runtime.containers.get('abc')!.state = 'exited';
    const summary = await done;
    expect(lines).toEqual(['start', 'bye']);
    expect(summary.lines).toBe(2);
    expect(runtime.count('containerStatus', 'abc')).toBeGreaterThanOrEqual(2);
  });

  it('does not follow a container that is not running, and stops when it is removed', async () => {
    const dir = await tempDir('crilog-follow-');
    const logPath = path.join(dir, 'c.log');
    await writeRecords(logPath, [{ text: cri(BASE_MS, 'stderr', 'F', 'only'), line: 0 }]);
    const runtime = new FakeRuntime();
    runtime.add('gone', logPath, 'exited');
    const lines: string[] = [];
    await readContainerLogs(runtime, 'gone', { follow: true }, (l) => lines.push(l));
    expect(lines).toEqual(['only']);

    runtime.add('live', logPath, 'running');
    const done = readContainerLogs(runtime, 'live', { follow: true, statusIntervalMs: 10 }, () => {});
    await waitFor(() => runtime.count('containerStatus', 'live') >= 1, 'the first status call');
    runtime.containers.delete('live');
    await expect(done).resolves.toMatchObject({ lines: 1 });
    await expect(readContainerLogs(runtime, 'nope', {}, () => {})).rejects.toMatchObject({
      code: 'ERR_CONTAINER_NOT_FOUND',
    });
  });
});
