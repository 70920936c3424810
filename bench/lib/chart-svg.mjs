/**
 * A dependency-free SVG chart: stacked panels of grouped horizontal bars. Enough for benchmark
 * summaries, and reproducible byte for byte from the same results.
 */

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

/**
 * @typedef {object} Bar
 * @property {string} label
 * @property {number | null} value
 * @property {string} color
 * @property {string} [note] text after the value, e.g. "0.52x"
 *
 * @typedef {object} Group
 * @property {string} label
 * @property {Bar[]} bars
 *
 * @typedef {object} Panel
 * @property {string} title
 * @property {string} unit shown after values and on the axis
 * @property {Group[]} groups
 * @property {number} [decimals] of printed values (default 2)
 *
 * @typedef {object} Chart
 * @property {string} title
 * @property {string} [subtitle]
 * @property {Panel[]} panels
 * @property {number} [width] default 800
 */

/**
 * @param {Chart} chart
 * @returns {string} a standalone SVG document
 */
export function renderChart(chart) {
  const width = chart.width ?? 800;
  const labelW = 210;
  const valueW = 180;
  const barH = 16;
  const gap = 4;
  const plotX = labelW + 10;
  const plotW = width - plotX - valueW;
  const out = [];
  let y = 28;
  out.push(
    `<text x="16" y="${y}" ${FONT} font-size="16" font-weight="600" fill="#111827">${esc(chart.title)}</text>`,
  );
  if (chart.subtitle) {
    y += 18;
    out.push(`<text x="16" y="${y}" ${FONT} font-size="11" fill="#4b5563">${esc(chart.subtitle)}</text>`);
  }
  y += 14;
  for (const panel of chart.panels) {
    y += 22;
    out.push(
      `<text x="16" y="${y}" ${FONT} font-size="13" font-weight="600" fill="#1f2937">${esc(panel.title)}</text>`,
    );
    y += 8;
    const max = niceMax(Math.max(0, ...panel.groups.flatMap((g) => g.bars.map((b) => b.value ?? 0))));
    const top = y;
    const scale = (/** @type {number} */ v) => (max === 0 ? 0 : (v / max) * plotW);
    const rows = [];
    for (const group of panel.groups) {
      y += 6;
      rows.push(
        `<text x="16" y="${y + barH - 3}" ${FONT} font-size="12" font-weight="600" fill="#374151">${esc(group.label)}</text>`,
      );
      for (const bar of group.bars) {
        const w = bar.value === null ? 0 : Math.max(1, scale(bar.value));
        const value = bar.value === null ? 'n/a' : `${bar.value.toFixed(panel.decimals ?? 2)} ${panel.unit}`;
        rows.push(
          `<text x="${labelW}" y="${y + barH - 4}" ${FONT} font-size="11" fill="#374151" text-anchor="end">${esc(bar.label)}</text>`,
        );
        rows.push(
          `<rect x="${plotX}" y="${y}" width="${w.toFixed(1)}" height="${barH}" rx="2" fill="${bar.color}"/>`,
        );
        rows.push(
          `<text x="${(plotX + w + 6).toFixed(1)}" y="${y + barH - 4}" ${FONT} font-size="11" fill="#111827">${esc(value)}${bar.note ? ` <tspan fill="#6b7280">${esc(bar.note)}</tspan>` : ''}</text>`,
        );
        y += barH + gap;
      }
    }
    const bottom = y + 2;
    // Grid first so the bars sit on top of it.
    for (let i = 0; i <= 4; i++) {
      const x = plotX + (plotW * i) / 4;
      out.push(
        `<line x1="${x.toFixed(1)}" y1="${top}" x2="${x.toFixed(1)}" y2="${bottom}" stroke="#e5e7eb" stroke-width="1"/>`,
      );
      out.push(
        `<text x="${x.toFixed(1)}" y="${bottom + 12}" ${FONT} font-size="10" fill="#6b7280" text-anchor="middle">${esc(trim((max * i) / 4))}${i === 4 ? ` ${esc(panel.unit)}` : ''}</text>`,
      );
    }
    out.push(...rows);
    y = bottom + 16;
  }
  const height = y + 10;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(chart.title)}">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...out,
    '</svg>',
    '',
  ].join('\n');
}

/** Rounds the axis up to 1, 2, 2.5 or 5 times a power of ten, so ticks read well. */
function niceMax(v) {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

function trim(v) {
  return String(Math.round(v * 1000) / 1000);
}

/** @param {string} s */
function esc(s) {
  return s.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}
