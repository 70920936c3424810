import { readFileSync } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { isCodecAvailable, getCodec } from '../codec.js';
import { gzipRecordedSize } from '../gzip-total-size.js';
import { compressHandle, type ReadableHandle } from './compress-handle.js';
import { CompressionPool } from './compression-pool.js';
import { libdeflateBinding, resolveGzipEngine } from './libdeflate-binding.js';
import { InvalidOptionError } from '../../errors/crilog-error.js';

const pools: CompressionPool[] = [];
afterAll(() => Promise.all(pools.map((p) => p.close())));
function pool(options?: ConstructorParameters<typeof CompressionPool>[0]) {
  const p = new CompressionPool(options);
  pools.push(p);
  return p;
}

/** Log-like text: repetitive enough to compress, varied enough to use the dictionary. */
function logText(bytes: number): Buffer {
  const lines: string[] = [];
  let n = 0;
  for (let size = 0; size < bytes; n++) {
    const line = `2026-01-01T00:00:${String(n % 60).padStart(2, '0')}.${n}Z stdout F seq=${n} user=${(n * 7919) % 1000} GET /items/${n % 97}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, bytes);
}

/** A file handle over memory that returns at most `step` bytes per read, like a short read would. */
function memoryHandle(data: Buffer, step = Infinity): ReadableHandle {
  return {
    read: async (buffer, offset, length, position) => {
      const n = Math.max(0, Math.min(length, step, data.length - position));
      data.copy(buffer, offset, position, position + n);
      return { bytesRead: n };
    },
  };
}

async function compress(p: CompressionPool, codec: 'gzip' | 'zstd', data: Buffer, level = 6, step?: number) {
  const parts: Buffer[] = [];
  const read = await compressHandle(memoryHandle(data, step), p, { codec, level }, async (out) => {
    // Copied: an output is only valid until the write resolves (its buffer is lent to the worker again).
    parts.push(Buffer.from(out));
  });
  expect(read).toBe(data.length);
  return Buffer.concat(parts);
}

/** Offsets of the gzip members of `gz` (each starts with the magic and the deflate method). */
function memberCount(gz: Buffer): number {
  let n = 0;
  for (
    let i = gz.indexOf(Buffer.from([0x1f, 0x8b, 8]));
    i >= 0;
    i = gz.indexOf(Buffer.from([0x1f, 0x8b, 8]), i + 1)
  )
    n++;
  return n;
}

const hasLibdeflate = libdeflateBinding() !== null;

describe('libdeflate binding', () => {
  it.runIf(process.env.CRILOG_REQUIRE_LIBDEFLATE === '1')(
    'is built and loads where CI installed libdeflate-dev',
    () => {
      expect(libdeflateBinding()?.version).toMatch(/^1\./);
      expect(new CompressionPool().gzipEngine).toBe('libdeflate');
    },
  );

  it('is used by default when it loads, and CRILOG_GZIP_ENGINE=zlib turns it off', () => {
    expect(resolveGzipEngine(null, {}).engine).toBe(hasLibdeflate ? 'libdeflate' : 'zlib');
    expect(resolveGzipEngine('auto', {}).engine).toBe(hasLibdeflate ? 'libdeflate' : 'zlib');
    expect(resolveGzipEngine(null, { CRILOG_GZIP_ENGINE: 'zlib' })).toEqual({ engine: 'zlib', path: null });
    // The setting, when set, wins over the environment.
    expect(resolveGzipEngine('zlib', { CRILOG_GZIP_ENGINE: 'libdeflate' }).engine).toBe('zlib');
    expect(resolveGzipEngine('auto', { CRILOG_GZIP_ENGINE: 'zlib' }).engine).toBe(
      hasLibdeflate ? 'libdeflate' : 'zlib',
    );
    expect(() => resolveGzipEngine(null, { CRILOG_GZIP_ENGINE: 'fast' })).toThrow(
      /CRILOG_GZIP_ENGINE.*"fast".*must be "auto", "libdeflate" or "zlib"/,
    );
    expect(() => resolveGzipEngine(null, { CRILOG_GZIP_ENGINE: 'fast' })).toThrow(InvalidOptionError);
  });

  it.skipIf(hasLibdeflate)('names the package to install when libdeflate is asked for but missing', () => {
    expect(() => new CompressionPool({ gzipEngine: 'libdeflate' })).toThrow(/libdeflate-dev/);
  });
});

describe.each([
  ['zlib', true],
  ['libdeflate', hasLibdeflate],
] as const)('CompressionPool, gzip on %s', (engine, available) => {
  const data = logText(3 * 1024 * 1024 + 12345);
  const gzPool = (options?: ConstructorParameters<typeof CompressionPool>[0]) =>
    pool({ ...options, gzipEngine: engine });

  it.runIf(available).each([
    ['1 MiB chunks', 1024 * 1024],
    ['small chunks, shorter than the 32 KiB window', 5000],
  ])('gzip with %s is valid gzip that gunzip restores exactly', async (_name, size) => {
    const p = gzPool();
    expect(p.gzipEngine).toBe(engine);
    const gz = await compress(p, 'gzip', data, 6, size);
    expect(gz.subarray(0, 3)).toEqual(Buffer.from([0x1f, 0x8b, 8]));
    expect(zlib.gunzipSync(gz).equals(data)).toBe(true);
  });

  it.runIf(available)('records the total size where status and the reader look for it', async () => {
    const gz = await compress(gzPool(), 'gzip', data);
    // zlib: one member (its ISIZE is the total); libdeflate: a member per 1 MiB chunk plus the total's.
    expect(memberCount(gz)).toBe(engine === 'zlib' ? 1 : 5);
    const handle: ReadableHandle = memoryHandleOf(gz);
    expect(await gzipRecordedSize(handle, gz.length)).toBe(data.length);
  });

  it.runIf(available)(
    'compresses no larger than a continuous zlib stream at the same level (+1%)',
    async () => {
      const gz = await compress(gzPool(), 'gzip', data);
      const reference = zlib.gzipSync(data, { level: 6 });
      expect(gz.length / reference.length).toBeLessThan(1.01);
    },
  );

  it.runIf(available)('writes a valid empty gzip file for empty input', async () => {
    const gz = await compress(gzPool(), 'gzip', Buffer.alloc(0));
    expect(zlib.gunzipSync(gz).length).toBe(0);
    expect(await gzipRecordedSize(memoryHandleOf(gz), gz.length)).toBe(0);
  });

  it.runIf(available)('runs several compressions at once, each output intact', async () => {
    const p = gzPool({ size: 2 });
    const inputs = [logText(400_000), logText(700_000), logText(300_000)];
    const outputs = await Promise.all(inputs.map((d) => compress(p, 'gzip', d, 6, 64 * 1024)));
    outputs.forEach((gz, i) => expect(zlib.gunzipSync(gz).equals(inputs[i]!)).toBe(true));
    expect((await p.threadIds()).length).toBeLessThanOrEqual(2);
  });

  it.runIf(available).each([1, 9])('honours level %i', async (level) => {
    const gz = await compress(gzPool(), 'gzip', data, level);
    expect(zlib.gunzipSync(gz).equals(data)).toBe(true);
  });
});

function memoryHandleOf(data: Buffer): ReadableHandle {
  return memoryHandle(data);
}

describe('CompressionPool', () => {
  const data = logText(3 * 1024 * 1024 + 12345);

  it.runIf(isCodecAvailable('zstd'))('zstd round-trips through the codec decoder', async () => {
    const zst = await compress(pool(), 'zstd', data, 3);
    const parts: Buffer[] = [];
    await pipeline(
      Readable.from([zst]),
      getCodec('zstd').createDecompressor(),
      async (src: AsyncIterable<Buffer>) => {
        for await (const c of src) parts.push(c);
      },
    );
    expect(Buffer.concat(parts).equals(data)).toBe(true);
  });

  it.runIf(process.platform === 'linux')('gives its worker threads the configured nice value', async () => {
    const p = pool({ nice: 7 });
    await compress(p, 'gzip', logText(10_000));
    const [tid] = await p.threadIds();
    // Field 19 of /proc/<pid>/task/<tid>/stat is the nice value; the name field may hold spaces.
    const stat = readFileSync(`/proc/${process.pid}/task/${tid}/stat`, 'utf8');
    expect(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])).toBe(7);
  });

  it('fails the stream when its worker dies, and replaces the worker for the next one', async () => {
    const p = pool({ size: 1 });
    // Reads that never end: the compression is still running when the worker goes away.
    const endless: ReadableHandle = {
      read: async (buffer, offset, length) => {
        buffer.fill(97, offset, offset + length);
        return { bytesRead: length };
      },
    };
    const failed = compressHandle(endless, p, { codec: 'gzip', level: 1 }, async () => {});
    await p.close();
    await expect(failed).rejects.toThrow(/compression worker/);
    expect(zlib.gunzipSync(await compress(p, 'gzip', data)).equals(data)).toBe(true);
  });

  it('drops an aborted stream without disturbing the others on the worker', async () => {
    const p = pool({ size: 1 });
    const controller = new AbortController();
    let outputs = 0;
    const aborted = compressHandle(
      memoryHandle(data, 64 * 1024),
      p,
      { codec: 'gzip', level: 6 },
      async () => {
        if (++outputs === 2) controller.abort();
      },
      controller.signal,
    );
    const other = compress(p, 'gzip', data, 6, 256 * 1024);
    await expect(aborted).rejects.toThrow(/abort/i);
    expect(zlib.gunzipSync(await other).equals(data)).toBe(true);
  });

  it.each([
    [{ size: 0 }, /pool size 0/],
    [{ nice: 20 }, /nice value 20: must be an integer from 0 to 19/],
    [{ nice: -1 }, /nice value -1/],
  ])('rejects %o', (options, message) => {
    expect(() => new CompressionPool(options)).toThrow(message);
  });
});

describe('CompressionPool idle workers', () => {
  it('ends a worker that stayed idle, and starts a new one when needed', async () => {
    const p = pool({ idleMs: 20 });
    await compress(p, 'gzip', logText(1000));
    expect((await p.threadIds()).length).toBe(1);
    await expect.poll(async () => (await p.threadIds()).length).toBe(0);
    const data = logText(5000);
    expect(zlib.gunzipSync(await compress(p, 'gzip', data)).equals(data)).toBe(true);
  });
});
