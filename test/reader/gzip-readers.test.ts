import { execFile, spawnSync } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { CompressionPool } from '../../src/codecs/worker/compression-pool.js';
import { libdeflateBinding } from '../../src/codecs/worker/libdeflate-binding.js';
import { gzipUncompressedSize } from '../../src/daemon/usage/gzip-size.js';
import { compressFile } from '../../src/rotation/compress.js';
import { useBuiltCli } from '../cli/build-cli.js';
import { tempDir } from '../helpers/tmpdir.js';

const run = promisify(execFile);
const cli = useBuiltCli();
const has = (cmd: string) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const pools: CompressionPool[] = [];
afterAll(() => Promise.all(pools.map((p) => p.close())));

/** A Go program that reads a gzip file the way the kubelet's UncompressLog does (gzip.Reader, multistream). */
const GO_READER = `package main

import (
	"compress/gzip"
	"io"
	"os"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	r, err := gzip.NewReader(f)
	if err != nil {
		panic(err)
	}
	if _, err := io.Copy(os.Stdout, r); err != nil {
		panic(err)
	}
}
`;

/** CRI lines, varied enough that 3 MiB make several 1 MiB gzip members. */
function criLines(count: number): { raw: string; messages: string[] } {
  const messages: string[] = [];
  let raw = '';
  for (let n = 0; n < count; n++) {
    const msg = `seq=${n} user=${(n * 7919) % 1009} GET /items/${(n * 31) % 997} took ${(n * 13) % 500}ms`;
    messages.push(msg);
    const s = String(n % 60).padStart(2, '0');
    raw += `2026-01-01T00:${String(Math.floor(n / 60) % 60).padStart(2, '0')}:${s}.${String(n).padStart(9, '0').slice(-9)}Z stdout F ${msg}\n`;
  }
  return { raw, messages };
}

describe.each([
  ['libdeflate', libdeflateBinding() !== null],
  ['zlib', true],
] as const)('a rotation compressed with gzip on %s', (engine, available) => {
  async function rotation() {
    const dir = await tempDir('crilog-gzread-');
    const live = path.join(dir, '0.log');
    const raw = `${live}.20260101-000000`;
    const { raw: text, messages } = criLines(40_000);
    await fsp.writeFile(raw, text);
    await fsp.writeFile(live, '');
    const pool = new CompressionPool({ gzipEngine: engine });
    pools.push(pool);
    const result = await compressFile(raw, { pool, level: 6 });
    return { dir, live, gz: result.target, text, messages };
  }

  it.runIf(available)(
    'is read back whole by gunzip, zcat, gzip -6 comparison and crilog status',
    async () => {
      const { gz, text } = await rotation();
      expect((await run('gunzip', ['-c', gz], { maxBuffer: 64 << 20 })).stdout).toBe(text);
      expect((await run('zcat', [gz], { maxBuffer: 64 << 20 })).stdout).toBe(text);
      await run('gzip', ['-t', gz]);
      const reference = path.join(path.dirname(gz), 'ref');
      await fsp.writeFile(reference, text);
      await run('gzip', ['-6', reference]);
      // libdeflate: never larger than what `gzip -6` makes of the same bytes; zlib (the fallback): within 2%.
      const slack = engine === 'libdeflate' ? 1 : 1.02;
      expect((await fsp.stat(gz)).size).toBeLessThanOrEqual((await fsp.stat(`${reference}.gz`)).size * slack);
      expect(await gzipUncompressedSize(gz)).toBe(Buffer.byteLength(text));
    },
  );

  it.runIf(available)('is read back by the built `crilog logs` as a child process', async () => {
    const { live, messages } = await rotation();
    const { stdout } = await run(process.execPath, [cli.main, 'logs', '--path', live], {
      maxBuffer: 64 << 20,
      env: { ...process.env, CONTAINER_RUNTIME_ENDPOINT: '' },
    });
    const lines = stdout.trimEnd().split('\n');
    expect(lines.length).toBe(messages.length);
    expect(lines[0]).toContain(messages[0]);
    expect(lines.at(-1)).toContain(messages.at(-1));
  });

  it.runIf(available && has('go'))(
    "is read back by Go's gzip.Reader, as the kubelet reads rotated logs",
    async () => {
      const { dir, gz, text } = await rotation();
      const program = path.join(dir, 'main.go');
      await fsp.writeFile(program, GO_READER);
      const { stdout } = await run('go', ['run', program, gz], {
        maxBuffer: 64 << 20,
        env: { ...process.env, GO111MODULE: 'off', GOFLAGS: '' },
      });
      expect(stdout).toBe(text);
    },
    180_000,
  );
});
