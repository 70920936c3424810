import { promises as fsp } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { readLogs } from './read-logs.js';

describe('OutputSink', () => {
  it('reuses its blocks for a socket (as process.stdout is for a pipe) without changing a byte of the output', async () => {
    const dir = await tempDir('crilog-sink-');
    const log = path.join(dir, '0.log');
    // Lines of varied length, over many 256 KiB blocks, across a compressed rotation and the live file.
    const expected: string[] = [];
    const record = (i: number) => {
      const text = `line ${i} ${'x'.repeat((i * 37) % 300)}`;
      expected.push(text);
      return `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000000000Z stdout F ${text}\n`;
    };
    let older = '';
    for (let i = 0; i < 20_000; i++) older += record(i);
    await fsp.writeFile(`${log}.20260101-000000.gz`, zlib.gzipSync(older));
    let live = '';
    for (let i = 20_000; i < 40_000; i++) live += record(i);
    await fsp.writeFile(log, live);

    const socketPath = path.join(dir, 's.sock');
    const server = net.createServer();
    server.listen(socketPath);
    await once(server, 'listening');
    const accepted = once(server, 'connection') as Promise<[net.Socket]>;
    const writer = net.connect(socketPath);
    const [reader] = await accepted;
    const received: Buffer[] = [];
    reader.on('data', (b: Buffer) => received.push(b));
    const ended = once(reader, 'end');
    const summary = await readLogs(log, {}, writer);
    writer.end();
    await ended;
    server.close();
    expect(summary.lines).toBe(expected.length);
    expect(Buffer.concat(received).toString()).toBe(expected.map((l) => `${l}\n`).join(''));
  });
});
