import { promises as fsp } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { readLogs } from '../../src/reader/index.js';
import { restoreDecoders, swapDecoder } from '../helpers/decoders.js';
import type { ReadLogsOptions } from '../../src/reader/types.js';
import { FakeClock } from '../helpers/fake-clock.js';
import { tempDir } from '../helpers/tmpdir.js';
import {
  BASE_MS,
  collector,
  cri,
  expected,
  makeModel,
  records,
  rfc3339,
  rotatedName,
  writeHistory,
  writeRecords,
  type FileRecord,
} from './history-fixture.js';

const model = makeModel(240);
const recs = records(model);

/** A record count near `approx` whose cut falls between two chunks of one line. */
function cutInsideLine(approx: number): number {
  for (let i = approx; i < recs.length - 1; i++) if (recs[i - 1]!.line === recs[i]!.line) return i;
  throw new Error('no multi-chunk line');
}

/** A record count near `approx` whose cut falls between two lines. */
function cutBetweenLines(approx: number): number {
  for (let i = approx; ; i++) if (recs[i - 1]!.line !== recs[i]!.line) return i;
}

/** gz, gz, raw, gz, raw rotated files plus the live file; two cuts split a line across a rotation. */
async function standardHistory() {
  const dir = await tempDir('crilog-reader-');
  const a = cutBetweenLines(40);
  const b = cutInsideLine(90) - a;
  const c = 55;
  const d = cutInsideLine(a + b + c + 30) - (a + b + c);
  const e = 20;
  return writeHistory(dir, recs, [
    { count: a, kind: 'gz' },
    { count: b, kind: 'gz' },
    { count: c, kind: 'raw' },
    { count: d, kind: 'gz' },
    { count: e, kind: 'raw' },
  ]);
}

async function read(logPath: string, options: ReadLogsOptions = {}) {
  const out = collector();
  const warnings: string[] = [];
  const summary = await readLogs(logPath, { onWarning: (w) => warnings.push(w), ...options }, out.stream);
  return { text: out.text(), summary, warnings };
}

describe('readLogs over a rotated history', () => {
  const clock = new FakeClock(BASE_MS + 240_000);
  const at = (k: number) => BASE_MS + k * 1000;
  const cases: [string, ReadLogsOptions, Parameters<typeof expected>[1]][] = [
    ['everything', {}, {}],
    ['tail 0', { tail: 0 }, { tail: 0 }],
    ['tail 1', { tail: 1 }, { tail: 1 }],
    ['tail 7', { tail: 7 }, { tail: 7 }],
    ['tail reaching into the gz files', { tail: 150 }, { tail: 150 }],
    ['tail larger than the history', { tail: 10_000 }, { tail: 10_000 }],
    ['tail -1 means all', { tail: -1 }, {}],
    ['since an RFC 3339 time', { since: new Date(at(123)).toISOString() }, { sinceMs: at(123) }],
    ['since a Date in the oldest file', { since: new Date(at(3)) }, { sinceMs: at(3) }],
    ['since a duration', { since: '30s', clock }, { sinceMs: at(210) }],
    ['since before everything', { since: new Date(BASE_MS - 1) }, {}],
    ['since after everything', { since: new Date(at(10_000)) }, { sinceMs: at(10_000) }],
    ['stdout only', { stream: 'stdout' }, { stream: 'stdout' }],
    ['stderr only', { stream: 'stderr' }, { stream: 'stderr' }],
    ['timestamps', { timestamps: true }, { timestamps: true }],
    ['limitBytes cuts a line', { limitBytes: 101 }, { limitBytes: 101 }],
    ['limitBytes of one byte', { limitBytes: 1 }, { limitBytes: 1 }],
    [
      'tail + stream + timestamps',
      { tail: 5, stream: 'stderr', timestamps: true },
      { tail: 5, stream: 'stderr', timestamps: true },
    ],
    ['since + tail', { since: new Date(at(200)), tail: 100 }, { sinceMs: at(200), tail: 100 }],
    ['since + tail within the cut', { since: new Date(at(100)), tail: 12 }, { sinceMs: at(100), tail: 12 }],
    [
      'since + stream + limitBytes',
      { since: new Date(at(60)), stream: 'stdout', limitBytes: 500 },
      { sinceMs: at(60), stream: 'stdout', limitBytes: 500 },
    ],
    [
      'tail + limitBytes',
      { tail: 30, limitBytes: 200, timestamps: true },
      { tail: 30, limitBytes: 200, timestamps: true },
    ],
    [
      'all options',
      { tail: 20, since: new Date(at(90)), stream: 'stdout', timestamps: true, limitBytes: 700 },
      { tail: 20, sinceMs: at(90), stream: 'stdout', timestamps: true, limitBytes: 700 },
    ],
  ];

  it.each(cases)('%s', async (_name, options, want) => {
    const { logPath } = await standardHistory();
    const { text, summary, warnings } = await read(logPath, options);
    expect(text).toBe(expected(model, want));
    expect(warnings).toEqual([]);
    expect(summary.bytes).toBe(Buffer.byteLength(text));
    expect(summary.lines).toBe(text === '' ? 0 : text.split('\n').length - (text.endsWith('\n') ? 1 : 0));
    expect(summary.unparsed).toBe(0);
    expect(summary.limitReached).toBe(options.limitBytes !== undefined);
  });

  it('tail gives the right lines for every N, whichever file the cut lands in', async () => {
    const { logPath } = await standardHistory();
    for (const stream of ['all', 'stdout', 'stderr'] as const) {
      for (let n = 0; n <= model.length + 1; n += stream === 'all' ? 2 : 11) {
        const { text } = await read(logPath, { tail: n, stream });
        expect(text, `tail ${n} ${stream}`).toBe(expected(model, { tail: n, stream }));
      }
    }
  });

  it('since gives the right lines for every cut', async () => {
    const { logPath } = await standardHistory();
    for (let k = -1; k <= model.length; k += 3) {
      const sinceMs = at(k);
      const { text } = await read(logPath, { since: new Date(sinceMs), tail: k % 2 === 0 ? 9 : undefined });
      expect(text, `since line ${k}`).toBe(expected(model, { sinceMs, tail: k % 2 === 0 ? 9 : undefined }));
    }
  });

  it('since finds the cut inside large raw files (bisection) as a full scan would', async () => {
    const dir = await tempDir('crilog-reader-');
    const big = makeModel(30_000);
    const bigRecs = records(big);
    const { logPath } = await writeHistory(dir, bigRecs, [
      { count: 5000, kind: 'gz' },
      { count: 15_000, kind: 'raw' },
    ]);
    for (const k of [0, 4000, 5001, 9999, 12_345, 19_999, 20_001, 29_999]) {
      const sinceMs = BASE_MS + k * 1000;
      const { text, summary } = await read(logPath, { since: new Date(sinceMs), timestamps: true });
      expect(text, `since line ${k}`).toBe(expected(big, { sinceMs, timestamps: true }));
      expect(summary.lines).toBe(big.length - k);
    }
  });

  it('delivers lines to a callback without newlines', async () => {
    const { logPath } = await standardHistory();
    const lines: string[] = [];
    const summary = await readLogs(logPath, { tail: 3, timestamps: true }, (l) => lines.push(l));
    expect(lines.map((l) => l + '\n').join('')).toBe(expected(model, { tail: 3, timestamps: true }));
    expect(summary.lines).toBe(3);
  });

  it('follows a symlink to the live log to find the rotated files', async () => {
    const { logPath } = await standardHistory();
    const link = path.join(await tempDir('crilog-link-'), 'alias.log');
    await fsp.symlink(logPath, link);
    expect((await read(link)).text).toBe(expected(model));
  });
});

describe('readLogs opens only the files it needs', () => {
  async function withCorruptOldest() {
    const { logPath, files } = await standardHistory();
    // Garbage where the oldest archive was: reading it would warn.
    await fsp.writeFile(files[0]!, Buffer.from('not gzip at all'));
    return { logPath, files };
  }

  it('tail reads backwards from the newest file', async () => {
    const { logPath } = await withCorruptOldest();
    const { text, warnings, summary } = await read(logPath, { tail: 40 });
    expect(text).toBe(expected(model, { tail: 40 }));
    expect(warnings).toEqual([]);
    expect(summary.filesRead).toBeLessThanOrEqual(3);
  });

  it('since skips whole files that end before the cut', async () => {
    const { logPath } = await withCorruptOldest();
    const sinceMs = BASE_MS + 230_000;
    const { text, warnings, summary } = await read(logPath, { since: new Date(sinceMs) });
    expect(text).toBe(expected(model, { sinceMs }));
    expect(warnings).toEqual([]);
    expect(summary.filesRead).toBe(1);
  });

  it('reading everything does reach the damaged file, and says so', async () => {
    const { logPath, files } = await withCorruptOldest();
    const { text, warnings } = await read(logPath);
    expect(text).toBe(expected(model.slice(recs[cutBetweenLines(40)]!.line)));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(files[0]);
  });
});

describe('readLogs with damaged, empty or odd files', () => {
  it('warns about a truncated .gz, keeps what it could decode and goes on', async () => {
    const dir = await tempDir('crilog-reader-');
    const first = makeModel(2000);
    const firstRecs = records(first);
    const { logPath, files } = await writeHistory(dir, firstRecs, [
      { count: 1500, kind: 'gz' },
      { count: 100, kind: 'raw' },
    ]);
    const gz = await fsp.readFile(files[0]!);
    await fsp.writeFile(files[0]!, gz.subarray(0, Math.floor(gz.length / 2)));
    const { text, warnings, summary } = await read(logPath);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(files[0]);
    expect(warnings[0]).toMatch(/truncated or corrupt/);
    // Lines after the damaged file are all there, in order.
    const lastPart = expected(first.slice(firstRecs[1500]!.line + 1));
    expect(text.endsWith(lastPart)).toBe(true);
    // What came out of the damaged archive is a prefix of its lines.
    expect(summary.lines).toBeGreaterThan(first.length - firstRecs[1500]!.line);
  });

  it('warns about a corrupt .gz in the middle and reads the files around it', async () => {
    const dir = await tempDir('crilog-reader-');
    const m = makeModel(30);
    const r = records(m);
    const logPath = path.join(dir, 'c.log');
    const head = r.findIndex((x) => x.line === 10);
    const tail = r.findIndex((x) => x.line === 20);
    await writeRecords(rotatedName(logPath, 0, 'gz'), r.slice(0, head), 'gz');
    const bad = zlib.gzipSync(
      Buffer.from(
        r
          .slice(head, tail)
          .map((x) => x.text + '\n')
          .join(''),
      ),
    );
    bad[bad.length - 8] = bad[bad.length - 8]! ^ 0xff; // CRC mismatch
    await fsp.writeFile(rotatedName(logPath, 1, 'gz'), bad);
    await writeRecords(logPath, r.slice(tail));
    const { text, warnings } = await read(logPath);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(rotatedName(logPath, 1, 'gz'));
    expect(text.startsWith(expected(m.slice(0, 10)))).toBe(true);
    expect(text.endsWith(expected(m.slice(20)))).toBe(true);
  });

  it('reads empty rotated files, an empty live file and an empty .gz', async () => {
    const dir = await tempDir('crilog-reader-');
    const m = makeModel(10);
    const r = records(m);
    const logPath = path.join(dir, 'c.log');
    await writeRecords(rotatedName(logPath, 0, 'gz'), [], 'gz');
    await writeRecords(rotatedName(logPath, 1), r.slice(0, 4));
    await writeRecords(rotatedName(logPath, 2), []);
    await fsp.writeFile(rotatedName(logPath, 3, 'gz'), ''); // zero bytes: not even a gzip header
    await writeRecords(rotatedName(logPath, 4, 'gz'), r.slice(4), 'gz');
    await writeRecords(logPath, []);
    for (const opts of [{}, { tail: 3 }, { since: new Date(BASE_MS + 5000) }] as ReadLogsOptions[]) {
      const { text } = await read(logPath, opts);
      expect(text).toBe(
        expected(m, { tail: opts.tail, sinceMs: (opts.since as Date | undefined)?.getTime() }),
      );
    }
  });

  it('reads a history with no rotated files, and one whose live file is missing', async () => {
    const dir = await tempDir('crilog-reader-');
    const m = makeModel(25);
    const { logPath } = await writeHistory(dir, records(m), []);
    expect((await read(logPath)).text).toBe(expected(m));
    expect((await read(logPath, { tail: 4 })).text).toBe(expected(m, { tail: 4 }));
    await fsp.rename(logPath, rotatedName(logPath, 0));
    expect((await read(logPath, { tail: 4 })).text).toBe(expected(m, { tail: 4 }));
    const missing = await read(path.join(dir, 'nothing-here.log'));
    expect(missing.text).toBe('');
    expect(missing.summary.filesRead).toBe(0);
  });

  it('passes lines that are not CRI records through, and counts them', async () => {
    const dir = await tempDir('crilog-reader-');
    const logPath = path.join(dir, 'c.log');
    const t = (k: number) => BASE_MS + k * 1000;
    const rotated: FileRecord[] = [
      { text: 'garbage before anything', line: -1 },
      { text: cri(t(1), 'stdout', 'F', 'one'), line: 0 },
      { text: 'plain text, no prefix', line: -1 },
      { text: `${rfc3339(t(2))} stdnot F bad stream`, line: -1 },
    ];
    await writeRecords(rotatedName(logPath, 0, 'gz'), rotated, 'gz');
    await writeRecords(logPath, [
      { text: cri(t(3), 'stderr', 'F', 'two'), line: 1 },
      { text: '{"json":"line"}', line: -1 },
      { text: cri(t(4), 'stdout', 'F', 'three'), line: 2 },
    ]);
    const all = await read(logPath);
    expect(all.text).toBe(
      [
        'garbage before anything',
        'one',
        'plain text, no prefix',
        `${rfc3339(t(2))} stdnot F bad stream`,
        'two',
        '{"json":"line"}',
        'three',
        '',
      ].join('\n'),
    );
    expect(all.summary.unparsed).toBe(4);
    // Non-CRI lines belong to no stream, so a stream filter keeps them.
    const stderr = await read(logPath, { stream: 'stderr' });
    expect(stderr.text).toBe(
      [
        'garbage before anything',
        'plain text, no prefix',
        `${rfc3339(t(2))} stdnot F bad stream`,
        'two',
        '{"json":"line"}',
        '',
      ].join('\n'),
    );
    // They take the time of the record before them, so the cut treats them like their neighbours.
    const since = await read(logPath, { since: new Date(t(3)) });
    expect(since.text).toBe(['two', '{"json":"line"}', 'three', ''].join('\n'));
    expect(since.summary.unparsed).toBe(1);
    const tail = await read(logPath, { tail: 2 });
    expect(tail.text).toBe(['{"json":"line"}', 'three', ''].join('\n'));
    const tailSince = await read(logPath, { tail: 5, since: new Date(t(1)) });
    expect(tailSince.text).toBe(
      [
        'plain text, no prefix',
        `${rfc3339(t(2))} stdnot F bad stream`,
        'two',
        '{"json":"line"}',
        'three',
        '',
      ].join('\n'),
    );
  });

  it('joins partial chunks per stream even when stdout and stderr interleave across a rotation', async () => {
    const dir = await tempDir('crilog-reader-');
    const logPath = path.join(dir, 'c.log');
    const t = (k: number) => BASE_MS + k;
    await writeRecords(
      rotatedName(logPath, 0, 'gz'),
      [
        { text: cri(t(1), 'stdout', 'F', 'a'), line: 0 },
        { text: cri(t(2), 'stdout', 'P', 'long-'), line: 1 },
        { text: cri(t(3), 'stderr', 'P', 'err-'), line: 2 },
      ],
      'gz',
    );
    await writeRecords(rotatedName(logPath, 1), [
      { text: cri(t(4), 'stdout', 'P', 'line-'), line: 1 },
      { text: cri(t(5), 'stderr', 'F', 'done'), line: 2 },
    ]);
    await writeRecords(logPath, [
      { text: cri(t(6), 'stdout', 'F', 'end'), line: 1 },
      { text: cri(t(7), 'stdout', 'F', 'z'), line: 3 },
    ]);
    expect((await read(logPath)).text).toBe('a\nerr-done\nlong-line-end\nz\n');
    expect((await read(logPath, { tail: 2 })).text).toBe('long-line-end\nz\n');
    expect((await read(logPath, { tail: 3, stream: 'stdout', timestamps: true })).text).toBe(
      `${rfc3339(t(1))} a\n${rfc3339(t(2))} long-line-end\n${rfc3339(t(7))} z\n`,
    );
    // A cut inside a line keeps its newer chunks, as the kubelet does.
    expect((await read(logPath, { since: new Date(t(4)) })).text).toBe('done\nline-end\nz\n');
    // A P chunk with no F at the end of the history is still shown.
    await fsp.appendFile(logPath, cri(t(8), 'stderr', 'P', 'unfinished') + '\n');
    expect((await read(logPath, { tail: 1 })).text).toBe('unfinished\n');
  });

  it('reads a raw rotated file that was compressed after the listing, and a live file without final newline', async () => {
    const dir = await tempDir('crilog-reader-');
    const m = makeModel(12);
    const r = records(m);
    const logPath = path.join(dir, 'c.log');
    await writeRecords(rotatedName(logPath, 0, 'gz'), r.slice(0, 5), 'gz');
    await writeRecords(logPath, r.slice(5));
    await fsp.truncate(logPath, (await fsp.stat(logPath)).size - 1);
    expect((await read(logPath)).text).toBe(expected(m));
  });

  it('warns about a .zst file while no zstd decoder is registered, and reads it once one is', async () => {
    const dir = await tempDir('crilog-reader-');
    const m = makeModel(9);
    const r = records(m);
    const logPath = path.join(dir, 'c.log');
    const zst = rotatedName(logPath, 0) + '.zst';
    // Stand-in codec for the test: gzip bytes under a .zst name, decoded by a registered gunzip.
    await fsp.writeFile(
      zst,
      zlib.gzipSync(
        Buffer.from(
          r
            .slice(0, 4)
            .map((x) => x.text + '\n')
            .join(''),
        ),
      ),
    );
    await writeRecords(logPath, r.slice(4));
    swapDecoder('zstd', null);
    const without = await read(logPath);
    expect(without.warnings).toHaveLength(1);
    expect(without.warnings[0]).toContain(zst);
    expect(without.warnings[0]).toMatch(/reading zstd needs the optional package "zstd-napi"/);
    expect(without.text).toBe(expected(m.slice(r[4]!.line)));
    swapDecoder('zstd', () => zlib.createGunzip());
    try {
      const withDecoder = await read(logPath);
      expect(withDecoder.warnings).toEqual([]);
      expect(withDecoder.text).toBe(expected(m));
    } finally {
      restoreDecoders();
    }
  });

  it('rejects bad options with the option, the value and the fix', async () => {
    const { logPath } = await standardHistory();
    await expect(read(logPath, { tail: -5 })).rejects.toMatchObject({
      key: 'tail',
      value: -5,
      message: 'tail -5 is invalid: must be a whole number of lines >= 0, or -1 for all',
    });
    await expect(read(logPath, { since: 'yesterday' })).rejects.toMatchObject({
      key: 'since',
      value: 'yesterday',
      hint: expect.stringContaining('use a duration such as 10m'),
    });
    await expect(read(logPath, { since: '2026-13-01T00:00:00Z' })).rejects.toThrow(
      /must be a valid RFC 3339 time/,
    );
    await expect(read(logPath, { limitBytes: 0 })).rejects.toMatchObject({ key: 'limitBytes', value: 0 });
    await expect(read(logPath, { stream: 'both' as never })).rejects.toThrow(/must be stdout, stderr or all/);
  });
});
