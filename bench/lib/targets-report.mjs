/**
 * The closing section of docs/benchmarks.md: issue 18's targets, each with the figure measured, the
 * reference from the same run, and the machine load while that benchmark ran.
 */

/**
 * @param {Record<string, any>} benchmarks `latest.benchmarks`
 * @returns {string[]} Markdown lines (empty when none of the benchmarks concerned has results)
 */
export function targetsMarkdown(benchmarks) {
  const rows = [];
  const rot = benchmarks.rotation?.workloads?.find((/** @type {any} */ w) => w.name === 'W1');
  const load = (/** @type {any} */ r) =>
    r?.loadAverage ? `${r.loadAverage.before[0]} / ${r.loadAverage.after[0]}` : 'n/a';
  if (rot?.target?.cpuRatioMax !== undefined) {
    const c = rot.contenders;
    const s = (/** @type {string} */ n, /** @type {string} */ k) =>
      c[n]?.median?.[k] == null ? 'n/a' : (c[n].median[k] / 1000).toFixed(2);
    const t = rot.target;
    const l = load(benchmarks.rotation);
    rows.push(
      [
        `W1 CPU <= ${t.cpuRatioMax}x logrotate`,
        `${s('crilog', 'cpuMs')} s (**${rot.ratios.crilogVsLogrotate.cpu}x**)`,
        `logrotate ${s('logrotate', 'cpuMs')} s; crilog on zlib ${s('crilog-zlib', 'cpuMs')} s`,
        t.cpuMet,
        l,
      ],
      [
        `W1 wall <= ${t.wallRatioMax}x logrotate`,
        `${s('crilog', 'wallMs')} s (**${rot.ratios.crilogVsLogrotate.wall}x**)`,
        `logrotate ${s('logrotate', 'wallMs')} s`,
        t.wallMet,
        l,
      ],
      [
        `W1 bytes <= gzip -6`,
        `${c.crilog?.median?.gzBytes ?? 'n/a'} (**${rot.ratios.crilogVsGzip.bytes}x**)`,
        `gzip -6 ${c.gzip?.median?.gzBytes ?? 'n/a'}`,
        t.bytesMet,
        l,
      ],
      [
        `W1 peak RSS <= ${t.maxRssMB} MB, 2 workers`,
        `**${t.crilogRssMB} MB**; ${t.perExtraWorkerMB} MB per extra worker`,
        `1 worker ${c['crilog-1worker']?.median?.maxRssKiB == null ? 'n/a' : ((c['crilog-1worker'].median.maxRssKiB * 1024) / 1e6).toFixed(1)} MB`,
        t.rssMet,
        l,
      ],
    );
  }
  const idle = benchmarks.idle;
  for (const r of Array.isArray(idle?.table) ? idle.table : []) {
    if (r.targetCpuPercent == null) continue;
    rows.push([
      `${r.containers} idle containers <= ${r.targetCpuPercent}% of a core in any 60 s${r.targetRssMB ? `, <= ${r.targetRssMB} MB` : ''}`,
      `**${r.worst60sCpuPercent}%** worst 60 s (${r.cpuPercentOfCore}% over ${r.windowS} s), ${r.maxRssMB} MB` +
        (r.firstCycleWorst60sCpuPercent == null
          ? ''
          : `; first cycle after start ${r.firstCycleWorst60sCpuPercent}%, ${r.firstCycleMaxRssMB} MB`),
      'issue 18: 1.55%, 114 MB (1000, before)',
      r.targetMet,
      load(idle),
    ]);
  }
  const over = benchmarks.overshoot;
  const ref = Array.isArray(over?.table)
    ? over.table.find((/** @type {any} */ r) => r.mode === 'pass-only')
    : null;
  for (const r of Array.isArray(over?.table) ? over.table : []) {
    if (r.targetMet == null) continue;
    rows.push([
      `overshoot <= 1.5x maxSize, ${r.mode}`,
      `**${r.maxRatio}x**`,
      ref ? `pass-only (kubelet-like) ${ref.maxRatio}x` : 'n/a',
      r.targetMet,
      load(over),
    ]);
  }
  if (rows.length === 0) return [];
  return [
    '## Issue 18 targets',
    '',
    'Each target with the figure measured and the reference from the same run. Load: the 1-minute load average of the 2-core machine when that benchmark started / ended (other work ran on it; CPU seconds are much less affected by load than wall times).',
    '',
    '| target | measured | reference, same run | met | load |',
    '|---|---|---|---|---|',
    ...rows.map(
      ([what, measured, reference, met, l]) =>
        `| ${what} | ${measured} | ${reference} | ${met ? 'yes' : '**no**'} | ${l} |`,
    ),
    '',
  ];
}
