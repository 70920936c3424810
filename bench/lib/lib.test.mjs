import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import process from 'node:process';
import { afterEach, describe, expect, it } from 'vitest';
import { median, medians, ratio } from './stats.mjs';
import { renderChart } from './chart-svg.mjs';
import { renderMarkdown } from './report-md.mjs';
import { rotationChart } from './rotation-report.mjs';
import { measure } from './measure.mjs';
import { benchRuntime } from './bench-runtime.mjs';
import { machineInfo } from './machine.mjs';

const dirs = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

describe('stats', () => {
  it('takes medians of odd and even counts, ignoring missing values', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([null, 5, undefined])).toBe(5);
    expect(median([])).toBeNull();
    expect(
      medians([
        { a: 1, b: null },
        { a: 3, b: null },
        { a: 2, b: null },
      ]),
    ).toEqual({ a: 2, b: null });
  });

  it('gives ratios rounded to 3 decimals, null when undefined', () => {
    expect(ratio(1, 3)).toBe(0.333);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(null, 1)).toBeNull();
  });
});

const rotation = {
  name: 'rotation',
  title: 'One rotation pass',
  quick: false,
  runs: 5,
  gzipLevel: 6,
  workers: 2,
  tools: { logrotate: 'logrotate 3.21.0', gzip: 'gzip 1.12' },
  workloads: [
    {
      name: 'W1',
      containers: 32,
      fileBytes: 16 * 2 ** 20,
      rawRotatedBytes: 512 * 2 ** 20,
      contenders: {
        crilog: {
          label: 'crilog (2 workers)',
          median: { wallMs: 6000, cpuMs: 11000, maxRssKiB: 80000, gzBytes: 67 },
        },
        logrotate: {
          label: 'logrotate',
          median: { wallMs: 13000, cpuMs: 13000, maxRssKiB: 2200, gzBytes: 68 },
        },
        gzip: {
          label: 'gzip -6 <1 core>',
          median: { wallMs: 12900, cpuMs: 12900, maxRssKiB: null, gzBytes: 68 },
        },
      },
      ratios: {
        crilogVsLogrotate: { wall: 0.462, cpu: 0.846, maxRss: 36.4 },
        crilogVsGzip: { wall: 0.465, cpu: 0.853, bytes: 0.985 },
      },
      throughputMiBps: { crilog: 85.3, logrotate: 39.4, gzip: 39.7 },
      target: { wallRatioMax: 0.55, bytesTolerance: 0.02, wallMet: true, bytesMet: true },
    },
  ],
};

describe('chart', () => {
  it('draws one bar per contender, escapes text and scales to the largest value', () => {
    const svg = renderChart({
      title: 'A & B <test>',
      panels: [
        {
          title: 'p',
          unit: 's',
          groups: [
            {
              label: 'g',
              bars: [
                { label: 'x', value: 2, color: '#000' },
                { label: 'y', value: 4, color: '#111' },
                { label: 'z', value: null, color: '#222' },
              ],
            },
          ],
        },
      ],
    });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('A &amp; B &lt;test&gt;');
    const widths = [...svg.matchAll(/<rect x="\d+" y="\d+" width="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(widths).toHaveLength(3);
    expect(widths[1]).toBeCloseTo(widths[0] * 2, 0);
    expect(svg).toContain('n/a');
  });

  it('charts the rotation results with wall, CPU and RSS panels', () => {
    const svg = rotationChart(rotation);
    for (const text of ['Wall time', 'CPU time', 'Peak RSS', '0.462x logrotate', 'gzip -6 &lt;1 core&gt;'])
      expect(svg).toContain(text);
  });
});

describe('markdown', () => {
  it('renders the machine, the rotation section with its verdict, other results and failures', () => {
    const md = renderMarkdown(
      {
        generatedAt: '2026-01-01T00:00:00.000Z',
        quick: false,
        machine: { ...machineInfo(), loadAverageAfter: [0.1, 0.2, 0.3] },
        benchmarks: {
          idle: {
            name: 'idle',
            title: 'Idle cost',
            cpuPerHourMs: 12.5,
            table: [{ containers: 10, rssKiB: 50000 }],
          },
          rotation,
          reader: { name: 'reader', markdown: 'custom **reader** text' },
          overshoot: { name: 'overshoot', error: 'run.mjs exited with 1' },
        },
      },
      { chartFile: 'benchmarks.svg' },
    );
    expect(md).toContain('## Machine');
    expect(md).toContain(`| Node | ${process.version}`);
    expect(md).toContain('![One rotation pass: wall time, CPU time and peak RSS](benchmarks.svg)');
    expect(md).toContain('wall <= 0.55x logrotate: **met**');
    expect(md).toContain('custom **reader** text');
    expect(md).toContain('| containers | rssKiB |');
    expect(md).toContain('| cpuPerHourMs | 12.5 |');
    expect(md).toContain('This benchmark failed: `run.mjs exited with 1`');
    // The known benchmarks come in a fixed order.
    expect(md.indexOf('One rotation pass')).toBeLessThan(md.indexOf('custom **reader**'));
    expect(md.indexOf('custom **reader**')).toBeLessThan(md.indexOf('## Overshoot'));
    expect(md.indexOf('## Overshoot')).toBeLessThan(md.indexOf('## Idle cost'));
  });
});

describe('measure', () => {
  it('reports wall, CPU of the child tree and peak RSS', async () => {
    const busy = 'const end = Date.now() + 300; while (Date.now() < end);';
    const m = await measure('sh', [
      '-c',
      `${JSON.stringify(process.execPath)} -e ${JSON.stringify(busy)}; echo done`,
    ]);
    expect(m.stdout.trim()).toBe('done');
    expect(m.wallMs).toBeGreaterThanOrEqual(300);
    // CPU of the grandchild (node) is counted; leave room for a loaded machine.
    expect(m.cpuMs).toBeGreaterThanOrEqual(100);
    if (m.maxRssKiB !== null) expect(m.maxRssKiB).toBeGreaterThan(10_000);
  });

  it('fails with the command and its stderr when it exits non-zero', async () => {
    await expect(measure('sh', ['-c', 'echo oops >&2; exit 3'])).rejects.toThrow(/exited with 3: oops/);
  });
});

describe('benchRuntime', () => {
  it('lists running containers, reports their log paths and reopens like containerd (create, keep data)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'crilog-bench-test-'));
    dirs.push(dir);
    const logPath = path.join(dir, '0.log');
    const rt = benchRuntime([{ id: 'a', logPath }]);
    expect(await rt.listContainers()).toEqual([{ id: 'a', state: 'running', labels: {}, annotations: {} }]);
    expect((await rt.containerStatus('a')).logPath).toBe(logPath);
    await rt.reopenContainerLog('a');
    expect((await stat(logPath)).size).toBe(0);
    await writeFile(logPath, 'x');
    await rt.reopenContainerLog('a');
    expect(await readFile(logPath, 'utf8')).toBe('x');
    expect(rt.reopens).toBe(2);
    await expect(rt.containerStatus('b')).rejects.toMatchObject({ code: 'ERR_CONTAINER_NOT_FOUND' });
  });
});

describe('issue 18 targets section', () => {
  it('lists each target with its figure, its same-run reference and the load', async () => {
    const { targetsMarkdown } = await import('./targets-report.mjs');
    const md = targetsMarkdown({
      rotation: {
        loadAverage: { before: [1.5, 1, 1], after: [2.25, 1, 1] },
        workloads: [
          {
            name: 'W1',
            contenders: {
              crilog: { median: { cpuMs: 5500, wallMs: 3900, gzBytes: 63, maxRssKiB: 100000 } },
              'crilog-zlib': { median: { cpuMs: 9500 } },
              'crilog-1worker': { median: { maxRssKiB: 90000 } },
              logrotate: { median: { cpuMs: 12000, wallMs: 12500 } },
              gzip: { median: { gzBytes: 68 } },
            },
            ratios: { crilogVsLogrotate: { cpu: 0.458, wall: 0.312 }, crilogVsGzip: { bytes: 0.926 } },
            target: {
              cpuRatioMax: 0.55,
              wallRatioMax: 0.35,
              bytesRatioMax: 1,
              maxRssMB: 160,
              crilogRssMB: 102.4,
              perExtraWorkerMB: 10.2,
              cpuMet: true,
              wallMet: true,
              bytesMet: true,
              rssMet: true,
            },
          },
        ],
      },
      idle: {
        table: [
          {
            containers: 1000,
            targetCpuPercent: 0.3,
            targetRssMB: 96,
            worst60sCpuPercent: 0.4,
            cpuPercentOfCore: 0.3,
            windowS: 300,
            maxRssMB: 90,
            targetMet: false,
          },
        ],
      },
      overshoot: {
        table: [
          { mode: 'watch', maxRatio: 1.2, targetMet: true },
          { mode: 'pass-only', maxRatio: 47, targetMet: null },
        ],
      },
    }).join('\n');
    expect(md).toContain(
      '| W1 CPU <= 0.55x logrotate | 5.50 s (**0.458x**) | logrotate 12.00 s; crilog on zlib 9.50 s | yes | 1.5 / 2.25 |',
    );
    expect(md).toContain('**0.4%** worst 60 s');
    expect(md).toMatch(/1000 idle containers .* \| \*\*no\*\* \| n\/a \|/);
    expect(md).toContain(
      '| overshoot <= 1.5x maxSize, watch | **1.2x** | pass-only (kubelet-like) 47x | yes |',
    );
    expect(md).not.toContain('maxSize, pass-only');
  });
});
