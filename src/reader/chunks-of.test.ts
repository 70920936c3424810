import { PassThrough, Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { chunksOf } from './chunks-of.js';

describe('chunksOf', () => {
  it('yields each chunk as produced, without joining what is buffered', async () => {
    const parts = [Buffer.from('a'.repeat(10)), Buffer.from('b'.repeat(20)), Buffer.from('c')];
    const seen: Buffer[] = [];
    for await (const c of chunksOf(Readable.from(parts, { objectMode: false }))) seen.push(c);
    expect(seen.map((b) => b.toString())).toEqual(parts.map((b) => b.toString()));
  });

  it('pauses the stream while the consumer is behind, so memory stays bounded', async () => {
    const stream = new PassThrough();
    const it = chunksOf(stream, 2)[Symbol.asyncIterator]();
    const first = it.next();
    for (let i = 0; i < 5; i++) stream.write(Buffer.from(String(i)));
    // two chunks wait in the generator, the other three stay in the stream
    expect(stream.isPaused()).toBe(true);
    expect(stream.readableLength).toBe(3);
    expect((await first).value?.toString()).toBe('0');
    stream.end();
    const rest: string[] = [];
    for (let r = await it.next(); !r.done; r = await it.next()) rest.push(r.value.toString());
    expect(rest).toEqual(['1', '2', '3', '4']);
  });

  it('fails when the stream errors or closes before its end, and destroys it when the consumer stops', async () => {
    const broken = new PassThrough();
    const it = chunksOf(broken)[Symbol.asyncIterator]();
    broken.write('x');
    expect((await it.next()).value?.toString()).toBe('x');
    broken.destroy(new Error('damaged'));
    await expect(it.next()).rejects.toThrow('damaged');

    const cut = new PassThrough();
    const cutIt = chunksOf(cut)[Symbol.asyncIterator]();
    const pending = cutIt.next();
    cut.destroy();
    await expect(pending).rejects.toThrow('closed before its end');

    const early = new PassThrough();
    early.write('y');
    for await (const c of chunksOf(early)) if (c.length) break;
    expect(early.destroyed).toBe(true);
  });
});
