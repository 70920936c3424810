import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { getAllLogs, listLogFiles } from './log-files.js';

describe('listLogFiles', () => {
  it('sorts rotations oldest first and separates leftovers, links and foreign files', async () => {
    const dir = await tempDir();
    const log = path.join(dir, '0.log');
    const files = [
      '0.log',
      '0.log.20260101-120000.gz',
      '0.log.20260101-120000-1',
      '0.log.20260101-110000',
      '0.log.20260101-110000.gz',
      '0.log.20260101-120001.tmp',
      '0.log.bak',
      '0.log-other',
    ];
    for (const f of files) await fsp.writeFile(path.join(dir, f), f);
    await fsp.symlink('/etc/passwd', path.join(dir, '0.log.20260101-100000'));
    await fsp.mkdir(path.join(dir, '0.log.20260101-090000.gz'));

    const set = await listLogFiles(log);
    expect(set.rotated.map((r) => path.basename(r.path))).toEqual([
      '0.log.20260101-110000.gz',
      '0.log.20260101-120000.gz',
      '0.log.20260101-120000-1',
    ]);
    expect(set.leftovers.map((p) => path.basename(p)).sort()).toEqual([
      '0.log.20260101-110000',
      '0.log.20260101-120001.tmp',
    ]);
    expect(set.ignored.map((i) => [path.basename(i.path), i.reason]).sort()).toEqual([
      ['0.log.20260101-090000.gz', 'not a regular file'],
      ['0.log.20260101-100000', 'symlink'],
    ]);
    expect(await getAllLogs(log)).toEqual([...set.rotated.map((r) => r.path), log]);
  });

  it('treats a missing directory as an empty history', async () => {
    const dir = await tempDir();
    expect(await getAllLogs(path.join(dir, 'gone', '0.log'))).toEqual([path.join(dir, 'gone', '0.log')]);
  });
});

describe('listLogFiles with measure', () => {
  it('stats only the newest rotations and hands back older names, oldest first, as excess', async () => {
    const dir = await tempDir();
    const log = path.join(dir, '0.log');
    const names = Array.from({ length: 30 }, (_, i) => `0.log.20260101-120000-${i + 1}.gz`);
    for (const n of names) await fsp.writeFile(path.join(dir, n), n);
    await fsp.writeFile(path.join(dir, '0.log.20260101-120000-30'), 'raw twin');
    await fsp.writeFile(path.join(dir, '0.log.20260101-120000-29.tmp'), 'tmp');
    const set = await listLogFiles(log, undefined, { measure: 3 });
    expect(set.rotated.map((r) => path.basename(r.path))).toEqual(names.slice(27));
    expect(set.leftovers.map((p) => path.basename(p)).sort()).toEqual([
      '0.log.20260101-120000-29.tmp',
      '0.log.20260101-120000-30',
    ]);
    expect(set.excess.map((p) => path.basename(p))).toEqual(
      names
        .slice(0, 27)
        .sort((a, b) => Number(/-(\d+)\.gz$/.exec(a)![1]) - Number(/-(\d+)\.gz$/.exec(b)![1])),
    );
    expect(set.excessCount).toBe(27);
  });
});
