import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from './helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const viteNode = path.join(here, '..', '..', 'node_modules', '.bin', 'vite-node');

let tmp: Awaited<ReturnType<typeof tempDir>>;
beforeEach(async () => {
  tmp = await tempDir();
});
afterEach(async () => {
  await tmp.cleanup();
});

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('children never outlive the runtime', () => {
  it('kills running children when the host process exits without stopping them', async () => {
    const { stdout } = await promisify(execFile)(
      viteNode,
      [path.join(here, 'fixtures', 'reaper-host.ts'), tmp.dir],
      {
        cwd: path.join(here, '..', '..'),
      },
    );
    const pid = Number(stdout.trim().split('\n').at(-1));
    expect(pid).toBeGreaterThan(0);
    try {
      await waitFor(() => !isAlive(pid), `child ${pid} to die`, 5000);
    } finally {
      if (isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
  }, 60_000);
});
