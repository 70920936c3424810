import { describe, expect, it } from 'vitest';
import { CriRecordEncoder, type CriStream } from './cri-record-encoder.js';
import type { NanoClock } from './nano-clock.js';

/** Every call is one nanosecond after the previous one, starting at a fixed instant. */
function fakeClock(): NanoClock {
  let ns = BigInt(Date.parse('2024-01-02T03:04:05Z')) * 1_000_000n;
  return { nowNs: () => ns++ };
}

interface Rec {
  tag: string;
  content: string;
}

/** Parses CRI records and drops the timestamps (checked separately). */
function parse(out: Buffer[], stream: CriStream = 'stdout'): Rec[] {
  const text = Buffer.concat(out).toString('latin1');
  expect(text === '' || text.endsWith('\n')).toBe(true);
  const lines = text.split('\n').slice(0, -1);
  return lines.map((line) => {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d*[1-9])?Z) (stdout|stderr) ([PF]) ([^]*)$/.exec(line);
    expect(m, `bad record ${JSON.stringify(line)}`).not.toBeNull();
    expect(m![2]).toBe(stream);
    return { tag: m![3]!, content: m![4]! };
  });
}

function split(input: string | string[], maxLineSize = 16, end = true): Rec[] {
  const s = new CriRecordEncoder('stdout', maxLineSize, fakeClock());
  const out: Buffer[] = [];
  for (const chunk of Array.isArray(input) ? input : [input]) s.push(Buffer.from(chunk, 'latin1'), out);
  if (end) s.end(out);
  return parse(out);
}

/**
 * A model of containerd's `redirectLogs`: a bufio.Reader (minimum size 16) read with ReadSlice('\n'),
 * `\r\n` and `\n` stripped, a `\r` at a full buffer's end pushed back, lines longer than maxLen cut.
 */
function containerdModel(input: Buffer, maxLen: number, readerSize: number): Rec[] {
  const bufSize = Math.max(16, Math.min(readerSize, maxLen));
  const out: Rec[] = [];
  let pos = 0;
  const readLine = (): { line: Buffer; isPrefix: boolean; eof: boolean } => {
    const window = input.subarray(pos, pos + bufSize);
    const nl = window.indexOf(0x0a);
    if (nl >= 0) {
      let line = window.subarray(0, nl);
      pos += nl + 1;
      if (line.length > 0 && line[line.length - 1] === 0x0d) line = line.subarray(0, -1);
      return { line, isPrefix: false, eof: false };
    }
    if (window.length === bufSize) {
      let line = window;
      pos += bufSize;
      if (line[line.length - 1] === 0x0d) {
        pos--;
        line = line.subarray(0, -1);
      }
      return { line, isPrefix: true, eof: false };
    }
    pos += window.length;
    return { line: window, isPrefix: false, eof: true };
  };
  let buf: Buffer[] = [];
  let length = 0;
  const write = (tag: string) => out.push({ tag, content: Buffer.concat(buf).toString('latin1') });
  for (;;) {
    const { line, isPrefix, eof } = readLine();
    if (line.length > 0) {
      buf.push(line);
      length += line.length;
    }
    if (eof && length === 0) break;
    if (length > maxLen) {
      const exceed = length - maxLen;
      const last = buf.pop()!;
      expect(exceed).toBeLessThanOrEqual(last.length);
      buf.push(last.subarray(0, last.length - exceed));
      write('P');
      buf = [last.subarray(last.length - exceed)];
      length = exceed;
    }
    if (isPrefix) continue;
    write(eof ? 'P' : 'F');
    buf = [];
    length = 0;
    if (eof) break;
  }
  return out;
}

describe('CriRecordEncoder', () => {
  it('writes one F record per line with RFC3339Nano UTC timestamps', () => {
    const s = new CriRecordEncoder('stderr', 16, fakeClock());
    const text = Buffer.concat(s.push(Buffer.from('hello\nworld\n'))).toString();
    expect(text).toBe('2024-01-02T03:04:05Z stderr F hello\n2024-01-02T03:04:05.000000001Z stderr F world\n');
  });

  it('writes empty lines as F records with empty content', () => {
    expect(split('\n\na\n\n')).toEqual([
      { tag: 'F', content: '' },
      { tag: 'F', content: '' },
      { tag: 'F', content: 'a' },
      { tag: 'F', content: '' },
    ]);
  });

  it('strips \\r\\n but keeps a lone \\r', () => {
    expect(split(['a\r\nb\rc\n', 'd\r', '\n'])).toEqual([
      { tag: 'F', content: 'a' },
      { tag: 'F', content: 'b\rc' },
      { tag: 'F', content: 'd' },
    ]);
  });

  it('cuts lines longer than the maximum into P chunks of exactly the maximum', () => {
    expect(split('0123456789abcdefXYZ\n', 16)).toEqual([
      { tag: 'P', content: '0123456789abcdef' },
      { tag: 'F', content: 'XYZ' },
    ]);
    // Exactly the maximum is still one F record; twice the maximum is P then F.
    expect(split('0123456789abcdef\n', 16)).toEqual([{ tag: 'F', content: '0123456789abcdef' }]);
    expect(split('x'.repeat(32) + '\n', 16)).toEqual([
      { tag: 'P', content: 'x'.repeat(16) },
      { tag: 'F', content: 'x'.repeat(16) },
    ]);
  });

  it('emits P chunks as soon as they are full, before the line ends', () => {
    const s = new CriRecordEncoder('stdout', 16, fakeClock());
    expect(parse(s.push(Buffer.from('y'.repeat(40))))).toEqual([
      { tag: 'P', content: 'y'.repeat(16) },
      { tag: 'P', content: 'y'.repeat(16) },
    ]);
    expect(s.pendingBytes).toBe(8);
  });

  it('writes an unterminated last line as P at stream end, and nothing for an empty rest', () => {
    expect(split('done\npartial')).toEqual([
      { tag: 'F', content: 'done' },
      { tag: 'P', content: 'partial' },
    ]);
    expect(split('done\n')).toEqual([{ tag: 'F', content: 'done' }]);
    expect(split('')).toEqual([]);
  });

  it('keeps arbitrary bytes (UTF-8 split across chunks) intact', () => {
    const bytes = Buffer.from('héllo wörld ✓\n', 'utf8');
    const s = new CriRecordEncoder('stdout', 1024, fakeClock());
    const out: Buffer[] = [];
    for (let i = 0; i < bytes.length; i++) s.push(bytes.subarray(i, i + 1), out);
    expect(Buffer.concat(out).toString('utf8')).toMatch(/ stdout F héllo wörld ✓\n$/);
  });

  it('matches a model of containerd for random input, chunking and limits', () => {
    let seed = 42;
    const rand = (n: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed % n;
    };
    const alphabet = ['a', 'b', '\r', '\n', '\n', 'c'];
    for (let round = 0; round < 1500; round++) {
      const maxLen = 16 + rand(30);
      const readerSize = [16, 20, 4096][rand(3)]!;
      let text = '';
      const len = rand(200);
      for (let i = 0; i < len; i++)
        text += rand(4) === 0 ? alphabet[rand(alphabet.length)] : 'x'.repeat(rand(20));
      const chunks: string[] = [];
      for (let i = 0; i < text.length;) {
        const n = 1 + rand(50);
        chunks.push(text.slice(i, i + n));
        i += n;
      }
      const expected = containerdModel(Buffer.from(text, 'latin1'), maxLen, readerSize);
      expect(split(chunks, maxLen), `input ${JSON.stringify(text)} maxLen ${maxLen}`).toEqual(expected);
    }
  });

  it('rejects a bad maximum line size with the option name and a fix', () => {
    expect(() => new CriRecordEncoder('stdout', 0, fakeClock())).toThrow(
      expect.objectContaining({ key: 'maxLineSize', value: 0, hint: 'use e.g. 16384' }),
    );
  });
});
