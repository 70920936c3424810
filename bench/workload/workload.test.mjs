import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Prng } from './prng.mjs';
import { LineSource, MAX_LINE, MIN_FILL, MIN_LINE, PERSONALITIES } from './lines.mjs';
import { writeLogFile } from './write-file.mjs';
import { planWorkload, workloadSpec } from './generate.mjs';

const CRI_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d{0,8}[1-9])?Z) (stdout|stderr) F (.+)\n$/;
const dirs = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function tempDir() {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'crilog-bench-test-'));
  dirs.push(dir);
  return dir;
}

describe('Prng', () => {
  it('gives the same stream for the same seed and another for another seed', () => {
    const a = new Prng('seed');
    const b = new Prng('seed');
    const c = new Prng('seed2');
    const sa = Array.from({ length: 8 }, () => a.next());
    expect(Array.from({ length: 8 }, () => b.next())).toEqual(sa);
    expect(Array.from({ length: 8 }, () => c.next())).not.toEqual(sa);
  });

  it('draws within bounds', () => {
    const g = new Prng('bounds');
    for (let i = 0; i < 10_000; i++) {
      const f = g.float();
      expect(f >= 0 && f < 1).toBe(true);
      expect(g.int(7)).toBeLessThan(7);
    }
    expect(g.hex(21)).toMatch(/^[0-9a-f]{21}$/);
  });
});

describe('LineSource', () => {
  it.each(PERSONALITIES)('writes well-formed CRI lines of 40-300 bytes in time order (%s)', (personality) => {
    const src = new LineSource(new Prng(`t/${personality}`), personality, Date.UTC(2024, 4, 1) / 1000);
    let last = '';
    const streams = new Set();
    for (let i = 0; i < 5000; i++) {
      const line = src.next();
      expect(line.length).toBeGreaterThanOrEqual(MIN_LINE);
      expect(line.length).toBeLessThanOrEqual(MAX_LINE);
      const m = CRI_LINE.exec(line);
      expect(m, line).not.toBeNull();
      // Fixed-width comparison: pad the fraction so string order is time order.
      const [sec, frac = ''] = m[1].slice(0, -1).split('.');
      const key = `${sec}.${frac.padEnd(9, '0')}`;
      expect(key >= last).toBe(true);
      last = key;
      streams.add(m[2]);
      if (personality === 'json-http' || personality === 'pino') expect(() => JSON.parse(m[3])).not.toThrow();
    }
    if (personality !== 'klog') expect(streams.has('stdout')).toBe(true);
  });

  it('makes fill lines of an exact length and rejects impossible ones', () => {
    const src = new LineSource(new Prng('fill'), 'nginx', 0);
    for (let i = 0; i < 200; i++)
      for (const n of [MIN_FILL, 77, MAX_LINE]) expect(src.fill(n)).toMatch(CRI_LINE);
    for (const n of [MIN_FILL, 77, MAX_LINE]) expect(src.fill(n)).toHaveLength(n);
    expect(() => src.fill(MIN_FILL - 1)).toThrow(/outside/);
  });

  it('names the valid personalities when given an unknown one', () => {
    expect(() => new LineSource(new Prng('x'), 'cobol', 0)).toThrow(
      /unknown personality "cobol"; use one of json-http/,
    );
  });
});

describe('writeLogFile', () => {
  it('writes whole lines up to an exact size, the same bytes every time', async () => {
    const dir = await tempDir();
    for (const bytes of [MIN_FILL, MAX_LINE + 1, MAX_LINE + MIN_FILL + 1, 3 * 1024 * 1024 + 17]) {
      const spec = { bytes, seed: `w/${bytes}`, personality: 'java', startSec: 0 };
      await writeLogFile({ ...spec, path: path.join(dir, 'a') });
      await writeLogFile({ ...spec, path: path.join(dir, 'b') });
      const a = await readFile(path.join(dir, 'a'));
      expect(a.length).toBe(bytes);
      expect(a.at(-1)).toBe(0x0a);
      for (const line of a.toString('latin1').split(/(?<=\n)/)) expect(line, line).toMatch(CRI_LINE);
      const hash = (b) => createHash('sha256').update(b).digest('hex');
      expect(hash(await readFile(path.join(dir, 'b')))).toBe(hash(a));
    }
  });

  it('rejects a size too small for one line', async () => {
    await expect(
      writeLogFile({ path: '/nonexistent/x', bytes: 10, seed: 's', personality: 'java', startSec: 0 }),
    ).rejects.toThrow(/at least 64 bytes/);
  });
});

describe('workloads', () => {
  it('plans W1 as 32 containers of 16 MiB with distinct ids and CRI-style paths', () => {
    const m = planWorkload(workloadSpec('W1', false));
    expect(m.containers).toHaveLength(32);
    expect(m.rawRotatedBytes).toBe(512 * 1024 * 1024);
    expect(new Set(m.containers.map((c) => c.id)).size).toBe(32);
    expect(new Set(m.containers.map((c) => c.logPath)).size).toBe(32);
    for (const c of m.containers) {
      expect(c.logPath).toMatch(
        /^pods\/[a-z]+_[a-z-]+-[0-9a-f]{10}-[0-9a-f]{5}_[0-9a-f-]{36}\/app\d+\/0\.log$/,
      );
      expect(c.rotatedPath).toBe(`${c.logPath}.20240501-000000`);
    }
    expect(planWorkload(workloadSpec('W1', false))).toEqual(m);
  });

  it('keeps quick live logs above the 10Mi rotation threshold', () => {
    for (const name of ['W1', 'W2'])
      expect(workloadSpec(name, true).fileBytes).toBeGreaterThan(10 * 1024 * 1024);
  });

  it('names the known workloads when given an unknown one', () => {
    expect(() => workloadSpec('W9', false)).toThrow(/unknown workload "W9"; use one of W1, W2/);
  });
});
