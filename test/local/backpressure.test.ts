import { existsSync } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { once } from 'node:events';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LocalRuntime } from '../../src/runtime/local/local-runtime.js';
import type { LogFile, LogFileOpener } from '../../src/runtime/local/log-file.js';
import type { LocalExitEvent } from '../../src/runtime/local/local-container-types.js';
import { joinLines, readCri, tempDir } from './helpers.js';

const MiB = 1024 * 1024;

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

describe('backpressure', () => {
  it('slows a process that writes faster than the disk instead of buffering its output', async () => {
    const marker = path.join(tmp.dir, 'child-finished');
    const total = 16 * MiB;
    // Writes 16 MiB of 1 KiB lines as fast as the pipe takes them (blocking writes, no buffering of its
    // own), then leaves a marker file.
    const script = `
      const fs = require('fs');
      const line = 'z'.repeat(1023) + '\\n';
      const chunk = Buffer.from(line.repeat(64));
      for (let i = 0; i < ${total} / chunk.length; i++) {
        for (let off = 0; off < chunk.length; ) off += fs.writeSync(1, chunk, off);
      }
      fs.writeFileSync(${JSON.stringify(marker)}, 'done');
    `;
    // A disk that takes at most 16 KiB per write and yields to the event loop before each write.
    let diskBytes = 0;
    let diskBytesWhenChildFinished: number | undefined;
    const slowOpen: LogFileOpener = async (p) => {
      const handle = await open(p, 'a', 0o640);
      const file: LogFile = {
        async write(buffer) {
          await new Promise((resolve) => setTimeout(resolve, 1));
          if (diskBytesWhenChildFinished === undefined && existsSync(marker))
            diskBytesWhenChildFinished = diskBytes;
          const { bytesWritten } = await handle.write(buffer.subarray(0, 16 * 1024));
          diskBytes += bytesWritten;
          return { bytesWritten };
        },
        close: () => handle.close(),
      };
      return file;
    };
    const runtime = new LocalRuntime({ logRoot: tmp.dir, openLogFile: slowOpen });
    try {
      const id = runtime.add({ name: 'flood', command: process.execPath, args: ['-e', script] });
      const exited = once(runtime, 'exit') as Promise<[LocalExitEvent]>;
      await runtime.start();
      const [exit] = await exited;
      expect(exit.exitCode).toBe(0);
      const { log, logPath } = runtime.inspect(id);
      const size = (await stat(logPath)).size;
      expect(log).toMatchObject({ bytesWritten: size, droppedBytes: 0, queuedBytes: 0 });
      // The formatted output is larger than the raw 16 MiB; at most a few 64 KiB chunks ever waited in memory.
      expect(size).toBeGreaterThan(total);
      expect(log!.peakQueuedBytes).toBeLessThan(1 * MiB);
      // When the process finished writing, nearly everything had already reached the disk: it was held back.
      expect(diskBytesWhenChildFinished).toBeDefined();
      expect(size - diskBytesWhenChildFinished!).toBeLessThan(2 * MiB);
      const lines = joinLines(await readCri(logPath), 'stdout');
      expect(lines.length).toBe(total / 1024);
      expect(lines.every((l) => l.length === 1023)).toBe(true);
      console.log(
        `backpressure: ${size} bytes, peak queued ${log!.peakQueuedBytes}, behind at child end ${size - diskBytesWhenChildFinished!}`,
      );
    } finally {
      await runtime.stopAll(0);
    }
  });
});
