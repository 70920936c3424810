import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock.js';
import { FakeRuntime } from '../../test/helpers/fake-runtime.js';
import { DST_CASES, writeKubeletHistory } from '../../test/helpers/kubelet-history.js';
import { tempDir } from '../../test/helpers/tmpdir.js';
import { ContainerLogManager } from './container-log-manager.js';

describe('taking over a kubelet history across daylight-saving changes', () => {
  for (const { zone, change, atMs } of DST_CASES) {
    it(`trims the really oldest files first (${zone}, ${change})`, async () => {
      for (const maxFiles of [3, 5, 8]) {
        const dir = await tempDir();
        const log = path.join(dir, '0.log');
        const { rotations } = await writeKubeletHistory(dir, '0.log', zone, {
          startMs: atMs - 2 * 3600_000 + 7 * 60_000,
          stepMs: 25 * 60_000,
          count: 10,
          linesPerFile: 2,
        });
        const runtime = new FakeRuntime();
        runtime.add('c', log);
        const clock = new FakeClock(atMs + 3 * 3600_000);
        const manager = new ContainerLogManager({ runtime, clock, maxSize: '10Mi', maxFiles });
        const report = await manager.rotateOnce();
        await manager.stop();
        expect(report.containers[0]!.action).toBe('none');
        const kept = (await fsp.readdir(dir)).filter((f) => f !== '0.log').sort();
        const expected = rotations.slice(-(maxFiles - 1)).map((r) => r.name);
        // The newest rotation stays raw until the next one (delayCompress); older ones are .gz already.
        expect(kept).toEqual([...expected].sort());
      }
    });
  }
});
