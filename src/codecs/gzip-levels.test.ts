import { execFile, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIBDEFLATE_LEVELS, libdeflateLevel } from './gzip-levels.js';
import { compressHandle } from './worker/compress-handle.js';
import { CompressionPool } from './worker/compression-pool.js';
import { libdeflateBinding } from './worker/libdeflate-binding.js';

const binding = libdeflateBinding();
const GENERATOR = fileURLToPath(new URL('../../bench/workload/generate.mjs', import.meta.url));

describe('LIBDEFLATE_LEVELS', () => {
  it('maps every gzip level 1-9 to a libdeflate level no higher, rising with it', () => {
    const levels = Object.keys(LIBDEFLATE_LEVELS).map(Number);
    expect(levels).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    let previous = 1;
    for (const n of levels) {
      const mapped = libdeflateLevel(n);
      expect(mapped).toBeGreaterThanOrEqual(previous);
      expect(mapped).toBeLessThanOrEqual(n);
      previous = mapped;
    }
  });

  it.each([0, 10, 2.5, NaN])('rejects gzip level %s, naming the range', (level) => {
    expect(() => libdeflateLevel(level)).toThrow(
      `invalid gzip level ${level}: must be an integer from 1 to 9`,
    );
  });
});

/** The bench's realistic CRI lines: `n` of each of its five personalities (about 0.75 KiB per `n`). */
async function benchLogs(n: number): Promise<Buffer> {
  const { stdout } = await promisify(execFile)(process.execPath, [GENERATOR, '--print', String(n)], {
    encoding: 'buffer',
    maxBuffer: 64 * 1024 * 1024,
  });
  return stdout;
}

/** Size of GNU gzip's output for `data`, the yardstick a level is held to. */
function gnuGzipBytes(data: Buffer, level: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('gzip', [`-${level}`, '-c'], { stdio: ['pipe', 'pipe', 'inherit'] });
    let bytes = 0;
    child.stdout.on('data', (d: Buffer) => (bytes += d.length));
    child.once('error', reject);
    child.once('close', (code) => (code === 0 ? resolve(bytes) : reject(new Error(`gzip exited ${code}`))));
    child.stdin.end(data);
  });
}

async function poolGzip(pool: CompressionPool, data: Buffer, level: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  const handle = {
    read: async (buffer: Uint8Array, offset: number, length: number, position: number) => ({
      bytesRead: data.copy(buffer, offset, position, Math.min(data.length, position + length)),
    }),
  };
  await compressHandle(handle, pool, { codec: 'gzip', level }, async (out) => {
    parts.push(Buffer.from(out));
  });
  return Buffer.concat(parts);
}

describe.each([
  ['zlib', true],
  ['libdeflate', binding !== null],
] as const)('gzip level N on log data, engine %s', (engine, available) => {
  let sample: Buffer;
  let pool: CompressionPool;
  beforeAll(async () => {
    if (!available) return;
    sample = await benchLogs(5000);
    pool = new CompressionPool({ size: 1, gzipEngine: engine });
  }, 60_000);
  afterAll(() => pool?.close());

  it.runIf(available).each([1, 6, 9])(
    'level %i: output no larger than gzip -N, and gunzip restores the input',
    async (level) => {
      expect(sample.length).toBeGreaterThan(3 * 1024 * 1024);
      const gz = await poolGzip(pool, sample, level);
      expect(gz.length).toBeLessThanOrEqual(await gnuGzipBytes(sample, level));
      expect(zlib.gunzipSync(gz).equals(sample)).toBe(true);
    },
  );

  it.runIf(available && engine === 'libdeflate')(
    "compresses at the table's libdeflate level, not the configured number",
    async () => {
      const lib = createRequire(import.meta.url)(binding!.path) as {
        createCompressor(level: number): object;
        gzipCompress(c: object, input: Uint8Array, output: Uint8Array): number;
      };
      // Same chunking as the pool: one member per 1 MiB, then the 37-byte member holding the total.
      const c = lib.createCompressor(libdeflateLevel(6));
      const out = new Uint8Array(2 * 1024 * 1024);
      let expected = 37;
      for (let at = 0; at < sample.length; at += 1024 * 1024)
        expected += lib.gzipCompress(c, sample.subarray(at, at + 1024 * 1024), out);
      expect((await poolGzip(pool, sample, 6)).length).toBe(expected);
    },
  );
});
