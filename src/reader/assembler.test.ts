import { describe, expect, it } from 'vitest';
import { Assembler } from './assembler.js';
import { RingSink } from './ring-sink.js';
import { OutputSink } from './sink.js';

const T = (s: number) => `2026-11-27T10:00:${String(s).padStart(2, '0')}Z`;

function run(
  records: string[],
  opts: {
    streams?: [boolean, boolean];
    sinceMs?: number | null;
    timestamps?: boolean;
    limit?: number;
    ring?: number;
  } = {},
) {
  const lines: string[] = [];
  const sink = new OutputSink((l) => lines.push(l), opts.limit ?? Infinity, opts.timestamps ?? false);
  const ring = opts.ring === undefined ? null : new RingSink(opts.ring, opts.timestamps ?? false);
  const asm = new Assembler(ring ?? sink, {
    streams: opts.streams ?? [true, true],
    sinceMs: opts.sinceMs ?? null,
  });
  for (const r of records) {
    const buf = Buffer.from(`>${r}<`);
    asm.record(buf, 1, buf.length - 1);
  }
  asm.finish();
  ring?.replay(sink);
  return { lines, sink };
}

describe('Assembler', () => {
  it('joins P chunks with their F chunk, per stream', () => {
    const { lines, sink } = run([
      `${T(1)} stdout P a`,
      `${T(2)} stderr P x`,
      `${T(3)} stdout P b`,
      `${T(4)} stderr F y`,
      `${T(5)} stdout F c`,
    ]);
    expect(lines).toEqual(['xy', 'abc']);
    expect(sink.lines).toBe(2);
  });

  it('prefixes the first chunk time with timestamps on', () => {
    expect(run([`${T(1)} stdout P a`, `${T(2)} stdout F b`, 'raw line'], { timestamps: true }).lines).toEqual(
      [`${T(1)} ab`, 'raw line'],
    );
  });

  it('drops chunks older than the cut one by one, and non-CRI lines that follow them', () => {
    const sinceMs = Date.parse(T(3));
    const { lines, sink } = run(
      [
        `${T(1)} stdout P old-`,
        'garbage after old',
        `${T(3)} stdout P new-`,
        'garbage after new',
        `${T(4)} stdout F end`,
      ],
      { sinceMs },
    );
    expect(lines).toEqual(['garbage after new', 'new-end']);
    expect(sink.unparsed).toBe(1);
  });

  it('filters streams but passes non-CRI lines', () => {
    expect(
      run([`${T(1)} stdout F out`, `${T(1)} stderr F err`, 'neither'], { streams: [false, true] }).lines,
    ).toEqual(['err', 'neither']);
  });

  it('writes unfinished lines at the end, and ignores blank lines', () => {
    expect(run([`${T(1)} stdout P never`, '', `${T(2)} stderr F done`]).lines).toEqual(['done', 'never']);
  });

  it('cuts at limitBytes and counts the cut line', () => {
    const { lines, sink } = run([`${T(1)} stdout F abc`, `${T(2)} stdout F defgh`, `${T(3)} stdout F more`], {
      limit: 6,
    });
    expect(lines).toEqual(['abc', 'de']);
    expect(sink).toMatchObject({ lines: 2, bytes: 6, limitReached: true });
  });

  it('keeps the last lines in a ring', () => {
    const recs = Array.from({ length: 500 }, (_, i) => `${T(1)} stdout F n${i}`);
    expect(run(recs, { ring: 3, timestamps: true }).lines).toEqual([
      `${T(1)} n497`,
      `${T(1)} n498`,
      `${T(1)} n499`,
    ]);
    expect(run(recs, { ring: 0 }).lines).toEqual([]);
  });
});
