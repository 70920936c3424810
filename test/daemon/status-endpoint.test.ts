import { once } from 'node:events';
import { promises as fsp } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveSettings } from '../../src/settings/index.js';
import { Daemon } from '../../src/daemon/daemon.js';
import type { UsageReport } from '../../src/daemon/usage/collect-usage.js';
import { silentLogger } from '../../src/ports/logger.js';
import { fakeFactory } from '../cli/cli-harness.js';
import { FakeRuntime } from '../helpers/fake-runtime.js';
import { tempDir } from '../helpers/tmpdir.js';

const daemons: Daemon[] = [];
afterEach(async () => {
  await Promise.all(daemons.splice(0).map((d) => d.stop()));
});

/**
 * `/status` is unauthenticated: before, every request asked the runtime for a fresh status of every
 * container and read every log directory. It must now cost the runtime nothing, run one computation at
 * a time, and show only what the root guard let through.
 */
describe('GET /status', () => {
  it('makes no runtime call per request, computes once for a burst, and hides nothing the guard refused', async () => {
    const dir = await tempDir('crilog-status-');
    const root = path.join(dir, 'pods');
    const inside = path.join(root, 'ns_pod_uid', 'app', '0.log');
    await fsp.mkdir(path.dirname(inside), { recursive: true });
    await fsp.writeFile(inside, 'line\n');
    const runtime = new FakeRuntime();
    runtime.add('in', inside);
    runtime.add('sneaky', `${root}/ns_pod_uid/../../elsewhere/0.log`);
    const config = resolveSettings({
      flags: {
        logRoots: [root],
        lockFile: path.join(dir, 'crilog.lock'),
        metricsAddress: '127.0.0.1:0',
        monitorInterval: '1h',
      },
      cwd: dir,
    });
    const daemon = new Daemon({
      config,
      logger: silentLogger,
      runtimeFactories: { cri: fakeFactory(runtime) },
      trigger: false,
      defaultMetrics: false,
    });
    daemons.push(daemon);
    await daemon.start();
    await once(daemon.manager!, 'pass');
    const calls = runtime.calls.length;
    const { host, port } = daemon.address!;
    const answers = await Promise.all(
      Array.from({ length: 50 }, async () => (await fetch(`http://${host}:${port}/status`)).json()),
    );
    expect(runtime.calls.length, 'runtime calls made by 50 /status requests').toBe(calls);
    const report = answers[0] as UsageReport;
    // One computation at a time, each answer reused for a second: a handful served the whole burst
    // (one, unless the contended machine took over a second to answer 50 requests).
    expect(new Set(answers.map((a) => (a as UsageReport).generatedAt)).size).toBeLessThanOrEqual(3);
    expect(report.containers.find((c) => c.id === 'in')).toMatchObject({ managed: true, logPath: inside });
    expect(report.containers.find((c) => c.id === 'sneaky')).toMatchObject({
      managed: false,
      logPath: null,
      note: expect.stringContaining('not managed'),
    });
  });
});
