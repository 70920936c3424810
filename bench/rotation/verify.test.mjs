import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyPass } from './verify.mjs';
import { logrotateConfig } from './contenders.mjs';

const dirs = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

const manifest = {
  spec: { fileBytes: 10 },
  containers: [
    { id: 'c000', logPath: 'pods/p/app0/0.log', rotatedPath: 'pods/p/app0/0.log.20240501-000000' },
  ],
};

async function layout(files) {
  const root = await mkdtemp(path.join(os.tmpdir(), 'crilog-bench-test-'));
  dirs.push(root);
  await mkdir(path.join(root, 'pods/p/app0'), { recursive: true });
  for (const [name, content] of Object.entries(files))
    await writeFile(path.join(root, 'pods/p/app0', name), content);
  return root;
}

describe('verifyPass', () => {
  it('accepts a complete pass and sums the compressed bytes', async () => {
    const root = await layout({
      '0.log': '',
      '0.log.20240501-000000.gz': 'gzgz',
      '0.log.20261127-094012': '0123456789',
    });
    expect(await verifyPass(root, manifest, { rotatesLive: true })).toMatchObject({ gzBytes: 4, gzFiles: 1 });
  });

  it('rejects a pass that left the old rotation raw', async () => {
    const root = await layout({
      '0.log': '',
      '0.log.20240501-000000': '0123456789',
      '0.log.20261127-094012': '0123456789',
    });
    await expect(verifyPass(root, manifest, { rotatesLive: true })).rejects.toThrow(/was not compressed/);
  });

  it('rejects a pass that did not rotate the live log', async () => {
    const root = await layout({ '0.log': '0123456789', '0.log.20240501-000000.gz': 'gz' });
    await expect(verifyPass(root, manifest, { rotatesLive: true })).rejects.toThrow(/still holds 10 bytes/);
  });

  it('accepts gzip alone, which leaves the live log in place', async () => {
    const root = await layout({ '0.log': '0123456789', '0.log.20240501-000000.gz': 'gz' });
    expect((await verifyPass(root, manifest, { rotatesLive: false })).gzBytes).toBe(2);
  });
});

describe('logrotateConfig', () => {
  it('matches crilog: size, 4 rotations, same names, delayed compression at the given level', () => {
    const conf = logrotateConfig('/w', 6);
    expect(conf.startsWith('/w/pods/*/*/0.log {')).toBe(true);
    for (const line of [
      'size 10M',
      'rotate 4',
      'delaycompress',
      'compressoptions -6',
      'dateext',
      'dateformat .%Y%m%d-%H%M%S',
    ])
      expect(conf).toContain(line);
  });
});
