/**
 * Turns the rotation benchmark's JSON into the chart and the Markdown section of docs/benchmarks.md.
 */
import { renderChart } from './chart-svg.mjs';
import { median } from './stats.mjs';

const COLORS = {
  crilog: '#2563eb',
  'crilog-1worker': '#93c5fd',
  'crilog-zlib': '#60a5fa',
  'crilog-b': '#7c3aed',
  logrotate: '#f97316',
  gzip: '#6b7280',
};
const MiB = 1024 * 1024;

/**
 * @param {any} rotation the `rotation` benchmark result
 * @returns {string} SVG
 */
export function rotationChart(rotation) {
  const groups = (/** @type {string} */ key, /** @type {number} */ div) =>
    rotation.workloads.map((w) => ({
      label: `${w.name}`,
      bars: Object.entries(w.contenders).map(([name, c]) => ({
        label: /** @type {any} */ (c).label,
        value: /** @type {any} */ (c).median[key] == null ? null : /** @type {any} */ (c).median[key] / div,
        color: COLORS[/** @type {keyof typeof COLORS} */ (name)] ?? '#9ca3af',
        note:
          name === 'crilog' && key === 'wallMs' && w.ratios.crilogVsLogrotate.wall != null
            ? `(${w.ratios.crilogVsLogrotate.wall}x logrotate)`
            : undefined,
      })),
    }));
  const shape = rotation.workloads
    .map((w) => `${w.name}: ${w.containers} x ${mib(w.fileBytes)} MiB`)
    .join(', ');
  return renderChart({
    title: 'One rotation pass (lower is better)',
    subtitle: `${shape}; gzip -${rotation.gzipLevel}; median of ${rotation.runs} run${rotation.runs === 1 ? '' : 's'}${rotation.quick ? ' (BENCH_QUICK sizes)' : ''}`,
    panels: [
      { title: 'Wall time', unit: 's', groups: groups('wallMs', 1000) },
      { title: 'CPU time (user + sys, children included)', unit: 's', groups: groups('cpuMs', 1000) },
      { title: 'Peak RSS (largest process)', unit: 'MiB', groups: groups('maxRssKiB', 1024), decimals: 1 },
    ],
  });
}

/**
 * @param {any} rotation
 * @param {string} chartFile file name of the chart, relative to the Markdown file
 * @returns {string} Markdown
 */
export function rotationMarkdown(rotation, chartFile) {
  const lines = [];
  lines.push(
    `One steady-state rotation pass on identical fresh copies: crilog (\`rotateOnce()\`, ${rotation.workers} workers = \`os.availableParallelism()\`), Debian's \`logrotate\` (\`size\`, \`rotate\`, \`compress\`, \`delaycompress\`, \`dateext\`) and plain single-core \`gzip -${rotation.gzipLevel}\` over the same raw rotated files. Method: [bench/rotation/README.md](../bench/rotation/README.md).`,
    '',
  );
  lines.push(`![One rotation pass: wall time, CPU time and peak RSS](${chartFile})`, '');
  for (const w of rotation.workloads) {
    lines.push(
      `### ${w.name}: ${w.containers} containers, ${mib(w.fileBytes)} MiB live + ${mib(w.fileBytes)} MiB raw rotated each (${mib(w.rawRotatedBytes)} MiB compressed per pass)`,
      '',
    );
    lines.push(
      '| | wall (s) | wall / logrotate | CPU (s) | peak RSS (MiB) | MiB/s | .gz bytes |',
      '|---|---:|---:|---:|---:|---:|---:|',
    );
    const logrotateWall = w.contenders.logrotate?.median.wallMs;
    for (const [name, c] of Object.entries(w.contenders)) {
      const m = /** @type {any} */ (c).median;
      const vs = m.wallMs != null && logrotateWall ? `${(m.wallMs / logrotateWall).toFixed(3)}x` : 'n/a';
      lines.push(
        `| ${/** @type {any} */ (c).label} | ${fix(m.wallMs, 1000, 2)} | ${vs} | ${fix(m.cpuMs, 1000, 2)} | ${fix(m.maxRssKiB, 1024, 1)} | ${w.throughputMiBps?.[name] ?? 'n/a'} | ${m.gzBytes ?? 'n/a'} |`,
      );
    }
    const r = w.ratios;
    lines.push(
      '',
      `crilog / logrotate: wall **${r.crilogVsLogrotate.wall ?? 'n/a'}x**, CPU ${r.crilogVsLogrotate.cpu ?? 'n/a'}x, peak RSS ${r.crilogVsLogrotate.maxRss ?? 'n/a'}x. crilog / gzip: wall ${r.crilogVsGzip.wall ?? 'n/a'}x, CPU ${r.crilogVsGzip.cpu ?? 'n/a'}x, compressed bytes ${r.crilogVsGzip.bytes ?? 'n/a'}x.`,
    );
    if (w.target) {
      const t = w.target;
      const met = (/** @type {boolean} */ ok) => `**${ok ? 'met' : 'missed'}**`;
      if (t.cpuRatioMax !== undefined)
        lines.push(
          '',
          `Targets (issue 18), crilog on ${t.engine}: CPU <= ${t.cpuRatioMax}x logrotate: ${met(t.cpuMet)}; wall <= ${t.wallRatioMax}x logrotate: ${met(t.wallMet)}; compressed bytes no more than gzip -${rotation.gzipLevel}'s: ${met(t.bytesMet)}; peak RSS <= ${t.maxRssMB} MB with ${rotation.workers} workers (${t.crilogRssMB ?? 'n/a'} MB): ${met(t.rssMet)}, ${t.perExtraWorkerMB ?? 'n/a'} MB per extra worker (2 workers minus 1 worker).`,
        );
      else
        lines.push(
          '',
          `Target (issue 9): wall <= ${t.wallRatioMax}x logrotate: ${met(t.wallMet)}; compressed bytes at most ${t.bytesTolerance * 100}% above gzip's: ${met(t.bytesMet)}.`,
        );
    }
    lines.push('');
  }
  lines.push(
    `Tools: ${rotation.tools?.logrotate ?? 'logrotate n/a'}, ${rotation.tools?.gzip ?? 'gzip n/a'}${rotation.uvThreadpoolSize ? `, UV_THREADPOOL_SIZE=${rotation.uvThreadpoolSize}` : ''}.`,
    '',
  );
  const loads = rotation.workloads.flatMap((w) =>
    Object.values(w.contenders).flatMap((c) => /** @type {any} */ (c.runs ?? []).map((r) => r.load1)),
  );
  const m = median(loads);
  const load = m === null ? null : Math.round(m * 100) / 100;
  if (load !== null) {
    lines.push(
      `Median 1-minute load average when a sample started: ${load} (the benchmark itself adds about 1-2). Other work on the machine stretches wall times, crilog's most since it is the only contender using every core; CPU times are barely affected.`,
      '',
    );
  }
  return lines.join('\n');
}

function mib(bytes) {
  return Math.round((bytes / MiB) * 10) / 10;
}

function fix(v, div, digits) {
  return v == null ? 'n/a' : (v / div).toFixed(digits);
}
