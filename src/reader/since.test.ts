import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { OpenLogFile } from './live-file.js';
import { bisectSince } from './since.js';

describe('bisectSince', () => {
  it('lands at most a probe before the first record of the cut, never after it', async () => {
    const file = path.join(await tempDir('crilog-since-'), 'c.log');
    const base = Date.parse('2026-11-27T10:00:00Z');
    const lines = Array.from(
      { length: 20_000 },
      (_, i) => `${new Date(base + i * 1000).toISOString()} stdout F line ${i} ${'y'.repeat(i % 40)}\n`,
    );
    await fsp.writeFile(file, lines.join(''));
    const open = (await OpenLogFile.open(file))!;
    try {
      for (const k of [0, 1, 777, 10_000, 19_999, 25_000]) {
        const exact = lines.slice(0, Math.min(k, lines.length)).join('').length;
        const at = await bisectSince(open, base + k * 1000);
        expect(at).toBeLessThanOrEqual(exact);
        expect(exact - at).toBeLessThanOrEqual(2 * 64 * 1024);
        // A record starts there.
        expect(at === 0 || (await open.readAt(at - 1, 1))[0] === 10).toBe(true);
      }
    } finally {
      await open.close();
    }
  });
});
