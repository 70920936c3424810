import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  DST_CASES,
  kubeletStamp,
  localCriTimestamp,
  writeKubeletHistory,
} from '../../test/helpers/kubelet-history.js';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { listLogFiles } from './log-files.js';
import { leadingTimestampMs } from './write-order.js';

const names = async (log: string) => (await listLogFiles(log)).rotated.map((r) => path.basename(r.path));

describe('leadingTimestampMs', () => {
  it('reads the instant of a CRI timestamp in any zone, nanoseconds included', () => {
    const ms = Date.parse('2026-11-01T06:15:00.123Z');
    for (const zone of ['UTC', 'America/New_York', 'Asia/Kolkata', 'Australia/Sydney']) {
      const line = `${localCriTimestamp(ms, zone)} stdout F x\n`;
      expect(leadingTimestampMs(Buffer.from(line))).toBe(ms);
    }
    expect(leadingTimestampMs(Buffer.from('not a cri line at all\n'))).toBeNull();
    expect(leadingTimestampMs(Buffer.from('2026-11-01T06:15:00 stdout F no zone\n'))).toBeNull();
  });
});

describe('rotations are ordered by when they were written, whatever zone named them', () => {
  for (const { zone, change, atMs } of DST_CASES) {
    it(`kubelet names in ${zone} across the ${change}`, async () => {
      const dir = await tempDir();
      const log = path.join(dir, '0.log');
      const { rotations } = await writeKubeletHistory(dir, '0.log', zone, {
        startMs: atMs - 2 * 3600_000 + 7 * 60_000,
        stepMs: 25 * 60_000,
        count: 10,
        linesPerFile: 3,
      });
      const real = rotations.map((r) => r.name);
      // The fixture is only a test of something when plain name order would get it wrong.
      if (change === 'fall back') expect([...real].sort()).not.toEqual(real);
      expect(await names(log)).toEqual(real);
    });
  }

  it('keeps the issue example in order: 01:50 EDT (05:50 UTC) before 01:15 EST (06:15 UTC)', async () => {
    const dir = await tempDir();
    const log = path.join(dir, '0.log');
    const zone = 'America/New_York';
    const edt = Date.parse('2026-11-01T05:50:00Z');
    const est = Date.parse('2026-11-01T06:15:00Z');
    for (const [at, seq] of [
      [edt, 40],
      [est, 159],
    ] as const) {
      const file = `${log}.${kubeletStamp(at, zone)}`;
      await fsp.writeFile(file, `${localCriTimestamp(at - 60_000, zone)} stdout F seq ${seq}\n`);
    }
    expect(await names(log)).toEqual(['0.log.20261101-015000', '0.log.20261101-011500']);
  });

  it('puts crilog rotations (UTC names) after a west-of-UTC kubelet history and keeps -N after its base', async () => {
    const dir = await tempDir();
    const log = path.join(dir, '0.log');
    const zone = 'America/Los_Angeles';
    const t0 = Date.parse('2026-12-01T18:00:00Z');
    const write = (name: string, ms: number) =>
      fsp.writeFile(path.join(dir, name), `${localCriTimestamp(ms, zone)} stdout F at ${ms}\n`);
    // crilog took over, then the kubelet rotated again after a hand-back (local names sort first).
    await write(`0.log.${kubeletStamp(t0, zone)}`, t0 - 1000);
    await write('0.log.20261201-183000', t0 + 20 * 60_000);
    await write('0.log.20261201-183000-1', t0 + 25 * 60_000);
    await write(`0.log.${kubeletStamp(t0 + 3600_000, zone)}`, t0 + 50 * 60_000);
    expect(await names(log)).toEqual([
      '0.log.20261201-100000',
      '0.log.20261201-183000',
      '0.log.20261201-183000-1',
      '0.log.20261201-110000',
    ]);
  });

  it('never puts a -N rotation before its lower numbers, even when the clock stepped back', async () => {
    const dir = await tempDir();
    const log = path.join(dir, '0.log');
    await fsp.writeFile(`${log}.20261127-100000`, '2026-11-27T09:59:59Z stdout F a\n');
    // Named after the newest existing name while the clock was 5 minutes behind.
    await fsp.writeFile(`${log}.20261127-100000-1`, '2026-11-27T09:55:00Z stdout F b\n');
    await fsp.writeFile(`${log}.20261127-100000-2`, '2026-11-27T09:56:00Z stdout F c\n');
    expect(await names(log)).toEqual([
      '0.log.20261127-100000',
      '0.log.20261127-100000-1',
      '0.log.20261127-100000-2',
    ]);
  });

  it('orders by name when no file holds CRI records', async () => {
    const dir = await tempDir();
    const log = path.join(dir, '0.log');
    await fsp.writeFile(`${log}.20261127-100001`, 'xxxx');
    await fsp.writeFile(`${log}.20261127-100000`, 'yyyy');
    expect(await names(log)).toEqual(['0.log.20261127-100000', '0.log.20261127-100001']);
  });
});
