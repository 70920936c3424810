import { spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/tmpdir.js';

const source = fileURLToPath(new URL('../../native/libdeflate/', import.meta.url));
const hasHeaders = ['/usr/include', '/usr/local/include'].some(
  (d) => spawnSync('test', ['-f', path.join(d, 'libdeflate.h')]).status === 0,
);

/** A copy of the binding's sources, so building never touches the one the other tests load. */
async function copy(): Promise<string> {
  const dir = await tempDir('crilog-native-');
  for (const f of ['binding.gyp', 'deflate.c', 'build.mjs'])
    await fsp.copyFile(path.join(source, f), path.join(dir, f));
  return dir;
}

function build(dir: string, env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [path.join(dir, 'build.mjs')], {
    cwd: dir,
    encoding: 'utf8',
    env: { ...process.env, CRILOG_REQUIRE_LIBDEFLATE: '', CRILOG_SKIP_NATIVE: '', ...env },
    timeout: 240_000,
  });
}

describe('the install hook of the libdeflate binding (native/libdeflate/build.mjs)', () => {
  it('without libdeflate headers, succeeds and says gzip uses zlib and what to install', async () => {
    const dir = await copy();
    const r = build(dir, { CRILOG_LIBDEFLATE_INCLUDE_DIRS: path.join(dir, 'nowhere') });
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/libdeflate headers not found: gzip compression uses Node's zlib/);
    expect(r.stderr).toContain('libdeflate-dev');
    await expect(fsp.access(path.join(dir, 'build'))).rejects.toThrow();
  });

  it('without headers but CRILOG_REQUIRE_LIBDEFLATE=1 (as CI sets), fails', async () => {
    const dir = await copy();
    const r = build(dir, {
      CRILOG_LIBDEFLATE_INCLUDE_DIRS: path.join(dir, 'nowhere'),
      CRILOG_REQUIRE_LIBDEFLATE: '1',
    });
    expect(r.status).toBe(1);
  });

  it.runIf(hasHeaders)(
    'with libdeflate-dev, builds a binding whose gzip members any gunzip reads',
    async () => {
      const dir = await copy();
      const r = build(dir, { CRILOG_REQUIRE_LIBDEFLATE: '1' });
      expect(r.stderr).toContain('libdeflate binding built');
      expect(r.status).toBe(0);
      const lib = createRequire(import.meta.url)(path.join(dir, 'build/Release/crilog_deflate.node')) as {
        createCompressor(level: number): object;
        gzipBound(c: object, n: number): number;
        gzipCompress(c: object, input: Uint8Array, output: Uint8Array): number;
        libdeflateVersion: string;
      };
      const c = lib.createCompressor(6);
      const input = Buffer.from('2026-01-01T00:00:00Z stdout F hello\n'.repeat(1000));
      const out = new Uint8Array(lib.gzipBound(c, input.length));
      const n = lib.gzipCompress(c, input, out);
      expect(zlib.gunzipSync(out.subarray(0, n)).equals(input)).toBe(true);
      // Bad arguments are errors, never a crash.
      expect(() => lib.createCompressor(13)).toThrow(/level must be an integer from 0 to 12/);
      expect(() => lib.gzipCompress(c, 'text' as never, out)).toThrow(/expected a Uint8Array/);
      expect(() => lib.gzipCompress({}, input, out)).toThrow(/expected a compressor/);
      expect(lib.gzipCompress(c, input, new Uint8Array(10))).toBe(0);
    },
    300_000,
  );
});
