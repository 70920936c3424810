import { promises as fsp } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { HistoryReader, rotatedEntry } from './history.js';
import { takeSnapshot } from './snapshot.js';

async function collect(gen: AsyncGenerator<Buffer>): Promise<string> {
  const parts: Buffer[] = [];
  for await (const c of gen) parts.push(Buffer.from(c));
  return Buffer.concat(parts).toString();
}

describe('HistoryReader', () => {
  it('switches to the compressed twin of a raw file compressed after the listing', async () => {
    const dir = await tempDir('crilog-history-');
    const logPath = path.join(dir, 'c.log');
    const raw = `${logPath}.20261127-100000`;
    await fsp.writeFile(raw, 'raw bytes\n');
    const { rotated } = await takeSnapshot(logPath);
    await fsp.writeFile(`${raw}.gz`, zlib.gzipSync('raw bytes\n'));
    await fsp.unlink(raw);
    const warnings: string[] = [];
    const reader = new HistoryReader((w) => warnings.push(w));
    const entry = rotatedEntry(rotated[0]!);
    expect(await collect(reader.chunks(entry))).toBe('raw bytes\n');
    expect(entry.codec).toBe('gzip');
    expect(warnings).toEqual([]);
    expect(reader.filesRead).toBe(1);
  });

  it('starts a compressed file at an offset of its content, whether decoded already or not', async () => {
    const dir = await tempDir('crilog-history-');
    const logPath = path.join(dir, 'c.log');
    const content = Array.from({ length: 50_000 }, (_, i) => `line ${i}\n`).join('');
    await fsp.writeFile(`${logPath}.20261127-100000.gz`, zlib.gzipSync(content));
    const { rotated } = await takeSnapshot(logPath);
    const reader = new HistoryReader(() => {});
    for (const offset of [0, 1, 300_000, content.length - 1, content.length]) {
      const streamed = rotatedEntry(rotated[0]!);
      expect(await collect(reader.chunks(streamed, offset))).toBe(content.slice(offset));
      const kept = rotatedEntry(rotated[0]!);
      await reader.decodeAll(kept);
      expect(await collect(reader.chunks(kept, offset))).toBe(content.slice(offset));
    }
  });

  it('warns once about a file removed before it could be read', async () => {
    const dir = await tempDir('crilog-history-');
    const logPath = path.join(dir, 'c.log');
    await fsp.writeFile(`${logPath}.20261127-100000.gz`, zlib.gzipSync('x\n'));
    await fsp.writeFile(`${logPath}.20261127-100001`, 'y\n');
    const { rotated } = await takeSnapshot(logPath);
    await fsp.rm(dir, { recursive: true });
    const warnings: string[] = [];
    const reader = new HistoryReader((w) => warnings.push(w));
    for (const f of rotated) {
      const entry = rotatedEntry(f);
      expect(await collect(reader.chunks(entry))).toBe('');
      expect(await collect(reader.chunks(entry))).toBe('');
    }
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/c\.log\.20261127-100000\.gz" was removed before it could be read/);
    expect(warnings[1]).toMatch(/c\.log\.20261127-100001" was removed before it could be read/);
  });
});
