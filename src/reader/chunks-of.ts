import type { Readable } from 'node:stream';

/**
 * The chunks of `stream` one by one, as the stream produced them. A Readable's own async iterator
 * calls `read()`, which concatenates everything buffered into a fresh Buffer: for a gzip decoder that
 * is one more copy of every decoded byte (a fifth of `crilog logs`'s CPU on a compressed history).
 * At most `maxQueued` chunks wait here; beyond that the stream is paused, so memory stays bounded.
 * The stream is destroyed when the consumer stops early.
 */
export async function* chunksOf(stream: Readable, maxQueued = 4): AsyncGenerator<Buffer> {
  const queue: Buffer[] = [];
  let ended = false;
  let failure: Error | null = null;
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  const onData = (chunk: Buffer) => {
    queue.push(chunk);
    if (queue.length >= maxQueued) stream.pause();
    notify();
  };
  const onEnd = () => {
    ended = true;
    notify();
  };
  const onError = (err: Error) => {
    failure ??= err;
    notify();
  };
  const onClose = () => {
    // Destroyed without an error and before its end: the data stopped short, which must not pass as complete.
    if (!stream.readableEnded) failure ??= new Error('the stream closed before its end');
    notify();
  };
  stream.on('data', onData);
  stream.on('end', onEnd);
  stream.on('error', onError);
  stream.on('close', onClose);
  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk !== undefined) {
        if (stream.isPaused() && queue.length < maxQueued) stream.resume();
        yield chunk;
        continue;
      }
      if (failure) throw failure;
      if (ended) return;
      await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stream.off('data', onData);
    stream.off('end', onEnd);
    stream.off('error', onError);
    stream.off('close', onClose);
    stream.destroy();
  }
}
