import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { ChangeWaiter } from './change-waiter.js';

describe('ChangeWaiter', () => {
  it('wakes on the poll timer, on notify, on abort, and remembers an early notify', async () => {
    const clock = new FakeClock();
    const w = new ChangeWaiter(await tempDir('crilog-waiter-'), clock, 1000);
    let woke = false;
    const p = w.wait([]).then(() => (woke = true));
    clock.advance(999);
    await Promise.resolve();
    expect(woke).toBe(false);
    clock.advance(1);
    await p;
    expect(clock.pending).toBe(0);

    w.notify();
    await w.wait([]); // remembered
    const q = w.wait([]);
    w.notify();
    await q;

    const abort = new AbortController();
    const r = w.wait([abort.signal]);
    abort.abort();
    await r;
    expect(clock.pending).toBe(0);
    w.close();
  });

  it('wakes when a file in the directory changes', async () => {
    const dir = await tempDir('crilog-waiter-');
    const w = new ChangeWaiter(dir, new FakeClock(), 60_000);
    w.start();
    const p = w.wait([]);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/c.log`, 'x');
    await p; // no timer can fire with a fake clock: only the watch ends this wait
    w.close();
  });
});
