// The gzip engine as users meet it: the built `crilog` (a child process) with and without crilog's
// libdeflate binding next to it. Without the binding gzip falls back to Node's zlib and the files stay
// readable; asking for libdeflate then, or naming an unknown engine, is a usage error (exit 2) that names
// the input and the fix.
import { execFile } from 'node:child_process';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildCli } from '../cli/build-cli.js';
import { tempDir } from '../helpers/tmpdir.js';

const run = promisify(execFile);

/** Runs `node args` and returns its exit code and output, whatever the code. */
async function node(args: string[], env: NodeJS.ProcessEnv = {}) {
  try {
    const { stdout, stderr } = await run(process.execPath, args, {
      env: { ...process.env, CONTAINER_RUNTIME_ENDPOINT: '', CRILOG_GZIP_ENGINE: '', ...env },
      timeout: 60_000,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

/** A script that compresses `raw` on a pool and prints the engine it used. */
const compressScript = (dist: string, raw: string) => `
const { CompressionPool } = await import(${JSON.stringify(path.join(dist, 'codecs/worker/compression-pool.js'))});
const { compressFile } = await import(${JSON.stringify(path.join(dist, 'rotation/compress.js'))});
const pool = new CompressionPool({ size: 1 });
await compressFile(${JSON.stringify(raw)}, { pool, codec: 'gzip', level: 6 });
await pool.close();
process.stdout.write(pool.gzipEngine);
`;

describe('the built crilog without its libdeflate binding', () => {
  let main: string;
  let remove: () => Promise<void>;
  let dir: string;
  beforeAll(async () => {
    ({ main, remove } = await buildCli());
    // The copy links native/ from the repository; without it the binding is not there, as after an
    // install on a node without libdeflate-dev.
    await fsp.rm(path.join(path.dirname(path.dirname(path.dirname(main))), 'native'));
    dir = await tempDir('crilog-engine-');
  }, 120_000);
  afterAll(async () => {
    await remove?.();
  });
  const dist = () => path.dirname(path.dirname(main));
  const daemonArgs = () => [
    main,
    'daemon',
    '--runtime',
    'local',
    '--log-root',
    path.join(dir, 'pods'),
    '--lock-file',
    path.join(dir, 'crilog.lock'),
    '--metrics-address',
    '127.0.0.1:0',
  ];

  it('compresses on zlib, and any gunzip reads the file', async () => {
    const raw = path.join(dir, '0.log.20260101-000000');
    const text = '2026-01-01T00:00:00.000000000Z stdout F hello from zlib\n'.repeat(50_000);
    await fsp.writeFile(raw, text);
    // A module file, not `--input-type=module -e`: workers inherit the flag, and the compression
    // worker is a CommonJS script.
    const script = path.join(dir, 'compress.mjs');
    await fsp.writeFile(script, compressScript(dist(), raw));
    const r = await node([script]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('zlib');
    expect(zlib.gunzipSync(await fsp.readFile(`${raw}.gz`)).toString()).toBe(text);
  });

  it('--gzip-engine libdeflate exits 2 and says what to install', async () => {
    await fsp.mkdir(path.join(dir, 'pods'), { recursive: true });
    const r = await node([...daemonArgs(), '--gzip-engine', 'libdeflate']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/gzipEngine/);
    expect(r.stderr).toMatch(/libdeflate-dev/);
    expect(r.stderr).toMatch(/npm rebuild crilog/);
  });

  it('CRILOG_GZIP_ENGINE=libdeflate exits 2 and names the variable', async () => {
    await fsp.mkdir(path.join(dir, 'pods'), { recursive: true });
    const r = await node(daemonArgs(), { CRILOG_GZIP_ENGINE: 'libdeflate' });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/CRILOG_GZIP_ENGINE/);
    expect(r.stderr).toMatch(/libdeflate-dev/);
  });

  it('an unknown engine exits 2 naming the flag or the variable', async () => {
    const flag = await node([...daemonArgs(), '--gzip-engine', 'fast']);
    expect(flag.code).toBe(2);
    expect(flag.stderr).toMatch(/--gzip-engine/);
    expect(flag.stderr).toMatch(/"auto", "libdeflate" or "zlib"/);
    const env = await node(daemonArgs(), { CRILOG_GZIP_ENGINE: 'fast' });
    expect(env.code).toBe(2);
    expect(env.stderr).toMatch(/CRILOG_GZIP_ENGINE/);
    expect(env.stderr).toMatch(/"auto", "libdeflate" or "zlib"/);
  });
});
