import { describe, expect, it } from 'vitest';
import { FileLineSplitter } from './file-line-splitter.js';

describe('FileLineSplitter', () => {
  it('cuts lines across chunk borders and keeps a last line without newline until end()', () => {
    const lines: string[] = [];
    const s = new FileLineSplitter((buf, start, end) => lines.push(buf.toString('utf8', start, end)));
    const scratch = Buffer.alloc(8);
    for (const piece of ['ab\ncd', 'ef', '\n\ngh\n', 'tail']) {
      // The reader reuses its buffer: the splitter must copy what it carries.
      scratch.write(piece);
      s.push(scratch.subarray(0, Buffer.byteLength(piece)));
      scratch.fill(0);
    }
    expect(lines).toEqual(['ab', 'cdef', '', 'gh']);
    expect(s.hasCarry).toBe(true);
    s.end();
    expect(lines.at(-1)).toBe('tail');
    expect(s.hasCarry).toBe(false);
  });
});
