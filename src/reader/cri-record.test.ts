import { describe, expect, it } from 'vitest';
import { newRecordFields, parseRecord } from './cri-record.js';

function parse(line: string) {
  const buf = Buffer.from(`junk${line}junk`);
  const f = newRecordFields();
  if (!parseRecord(buf, 4, 4 + Buffer.byteLength(line), f)) return null;
  return {
    ts: buf.toString('utf8', 4, f.tsEnd),
    stream: f.stream,
    partial: f.partial,
    content: buf.toString('utf8', f.contentStart, 4 + Buffer.byteLength(line)),
  };
}

describe('parseRecord', () => {
  it('takes a full stdout line apart', () => {
    expect(parse('2026-11-27T10:00:00.1Z stdout F hello world')).toEqual({
      ts: '2026-11-27T10:00:00.1Z',
      stream: 0,
      partial: false,
      content: 'hello world',
    });
  });

  it('reads partial stderr chunks, tag extensions and empty content', () => {
    expect(parse('2026-11-27T10:00:00Z stderr P  lead')).toMatchObject({
      stream: 1,
      partial: true,
      content: ' lead',
    });
    expect(parse('2026-11-27T10:00:00Z stdout F:x,y tagged')).toMatchObject({
      partial: false,
      content: 'tagged',
    });
    expect(parse('2026-11-27T10:00:00Z stdout F ')).toMatchObject({ content: '' });
    expect(parse('2026-11-27T10:00:00Z stdout F')).toMatchObject({ content: '' });
    expect(parse('2026-11-27T10:00:00Z stdout F ünïcode')).toMatchObject({ content: 'ünïcode' });
  });

  it.each([
    'plain text',
    '',
    '2026-11-27T10:00:00Z',
    '2026-11-27T10:00:00Z stdin F x',
    '2026-11-27T10:00:00Z stdout X x',
    '2026-11-27T10:00:00Z stdout Fx y',
    '2026-11-27 10:00:00Z stdout F x',
    'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa stdout F x',
  ])('rejects %j', (line) => {
    expect(parse(line)).toBeNull();
  });
});
