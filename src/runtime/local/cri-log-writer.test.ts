import { chmod, mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CriLogWriter } from './cri-log-writer.js';
import type { LogFile } from './log-file.js';
import type { NanoClock } from './nano-clock.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'crilog-writer-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

function fakeClock(): NanoClock {
  let ns = BigInt(Date.parse('2024-05-06T07:08:09Z')) * 1_000_000n;
  return { nowNs: () => (ns += 1000n) };
}

const write = (w: NodeJS.WritableStream, data: string) =>
  new Promise<void>((resolve) => w.write(data, () => resolve()));

describe('CriLogWriter', () => {
  it('interleaves both streams in one file in the order they arrive', async () => {
    const file = path.join(dir, '0.log');
    const writer = await CriLogWriter.open(file, { clock: fakeClock() });
    const out = writer.sink('stdout');
    const err = writer.sink('stderr');
    await write(out, 'o1\n');
    await write(err, 'e1\ne2');
    await write(out, 'o2\n');
    await write(err, '\n');
    out.end('tail');
    err.end();
    await Promise.all([finished(out), finished(err)]);
    await writer.close();
    expect(await readFile(file, 'utf8')).toBe(
      [
        '2024-05-06T07:08:09.000001Z stdout F o1',
        '2024-05-06T07:08:09.000002Z stderr F e1',
        '2024-05-06T07:08:09.000003Z stdout F o2',
        '2024-05-06T07:08:09.000004Z stderr F e2',
        '2024-05-06T07:08:09.000005Z stdout P tail',
        '',
      ].join('\n'),
    );
    expect((await stat(file)).mode & 0o777).toBe(0o640 & ~process.umask());
    expect(writer.stats()).toMatchObject({
      bytesWritten: (await stat(file)).size,
      queuedBytes: 0,
      droppedBytes: 0,
    });
  });

  it('sends records queued before reopen() to the old file and later ones to the new file', async () => {
    const file = path.join(dir, '0.log');
    const writer = await CriLogWriter.open(file, { clock: fakeClock() });
    const out = writer.sink('stdout');
    await write(out, 'first\nhalf-');
    await rename(file, `${file}.1`);
    await writer.reopen();
    await write(out, 'line\nsecond\n');
    out.end();
    await finished(out);
    await writer.close();
    expect(await readFile(`${file}.1`, 'utf8')).toMatch(/^\S+ stdout F first\n$/);
    // The line in progress at reopen time went entirely to the new file.
    expect(await readFile(file, 'utf8')).toMatch(/^\S+ stdout F half-line\n\S+ stdout F second\n$/);
    expect(writer.stats().reopens).toBe(1);
  });

  it('keeps writing to the old file when the new one cannot be opened', async () => {
    const sub = path.join(dir, 'sub');
    await mkdir(sub);
    const file = path.join(sub, '0.log');
    const writer = await CriLogWriter.open(file);
    const out = writer.sink('stdout');
    await rename(file, path.join(dir, 'moved.log'));
    await rm(sub, { recursive: true });
    await expect(writer.reopen()).rejects.toThrow(/failed to reopen container log ".*0\.log"/);
    await write(out, 'still here\n');
    await writer.close();
    expect(await readFile(path.join(dir, 'moved.log'), 'utf8')).toMatch(/ stdout F still here\n$/);
  });

  it('drops (and counts) records when the disk fails instead of blocking the process', async () => {
    const failing: LogFile = {
      write: async () => Promise.reject(Object.assign(new Error('no space'), { code: 'ENOSPC' })),
      close: async () => {},
    };
    const errors: unknown[] = [];
    const writer = await CriLogWriter.open('/nonexistent/0.log', {
      openFile: async () => failing,
      logger: { debug() {}, info() {}, warn() {}, error: (obj) => errors.push(obj) },
    });
    const out = writer.sink('stdout');
    await write(out, 'lost\n');
    await writer.close();
    expect(writer.stats()).toMatchObject({ writeErrors: 1, bytesWritten: 0 });
    expect(writer.stats().droppedBytes).toBeGreaterThan(5);
    expect(errors).toHaveLength(1);
  });

  it('completes short writes', async () => {
    const chunks: Buffer[] = [];
    const dribbling: LogFile = {
      write: async (b) => {
        chunks.push(Buffer.from(b.subarray(0, 3)));
        return { bytesWritten: Math.min(3, b.length) };
      },
      close: async () => {},
    };
    const writer = await CriLogWriter.open('x', { openFile: async () => dribbling, clock: fakeClock() });
    const out = writer.sink('stdout');
    out.end('abcdefgh\n');
    await finished(out);
    await writer.close();
    expect(Buffer.concat(chunks).toString()).toBe('2024-05-06T07:08:09.000001Z stdout F abcdefgh\n');
  });

  it('rejects reopen after close and fails open() with the path', async () => {
    const writer = await CriLogWriter.open(path.join(dir, '0.log'));
    await writer.close();
    await expect(writer.reopen()).rejects.toThrow(/closed/);
    await chmod(dir, 0o500);
    try {
      if (process.getuid?.() !== 0)
        await expect(CriLogWriter.open(path.join(dir, 'new.log'))).rejects.toThrow(
          /failed to open container log/,
        );
    } finally {
      await chmod(dir, 0o700);
    }
    await expect(CriLogWriter.open(path.join(dir, 'missing', '0.log'))).rejects.toThrow(
      /failed to open container log ".*missing/,
    );
  });
});
