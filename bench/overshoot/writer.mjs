// A container stand-in for the overshoot benchmark and the trigger tests: appends CRI-formatted log
// lines to a file at a fixed rate, and reopens the file (a new one at the same path, as containerd
// does on ReopenContainerLog) when its parent asks over IPC.
//
//   node writer.mjs <file> <bytesPerSecond> [chunkBytes]
//   parent -> child: { type: 'reopen', seq } | { type: 'stop' }
//   child -> parent: { type: 'ready' } | { type: 'reopened', seq } | { type: 'stopped', written, generations }
//
// `generations` lists the bytes written to each file before the next reopen: the largest one bounds
// how big a live log ever got (bytes written after the rename but before the reopen are included).
import { Buffer } from 'node:buffer';
import { open } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { setTimeout as sleep, setImmediate as yieldLoop } from 'node:timers/promises';

const [file, rateArg, chunkArg] = process.argv.slice(2);
const rate = Number(rateArg);
const chunkBytes = Number(chunkArg ?? 64 * 1024);
if (!file || !(rate > 0)) {
  process.stderr.write('usage: node writer.mjs <file> <bytesPerSecond> [chunkBytes]\n');
  process.exit(2);
}

// A pool of varied chunks so the data compresses like real logs, not like a run of one byte.
const words = [
  'GET',
  'POST',
  '/api/v1/items',
  'status=200',
  'status=404',
  'latency_ms=',
  'user=',
  'trace_id=',
  'cache=hit',
  'cache=miss',
];
function makeChunk(seed) {
  let text = '';
  let n = seed * 1000;
  while (text.length < chunkBytes) {
    n++;
    const ts = new Date(Date.UTC(2026, 0, 1) + n * 7).toISOString().replace('Z', '123456Z');
    const body = Array.from(
      { length: 6 + (n % 9) },
      (_, i) => words[(n * 7 + i * 3) % words.length] + ((n * 31 + i) % 997),
    ).join(' ');
    text += `${ts} ${n % 5 === 0 ? 'stderr' : 'stdout'} F seq=${n} ${body}\n`;
  }
  return Buffer.from(text.slice(0, text.lastIndexOf('\n', chunkBytes - 1) + 1));
}
const pool = Array.from({ length: 32 }, (_, i) => makeChunk(i));

let stopping = false;
const reopens = [];
process.on('message', (m) => {
  if (m?.type === 'reopen') reopens.push(m.seq);
  else if (m?.type === 'stop') stopping = true;
});
process.on('disconnect', () => (stopping = true));

let fh = await open(file, 'a', 0o640);
const generations = [0];
let written = 0;
let i = 0;
const started = performance.now();
process.send({ type: 'ready' });
while (!stopping) {
  if (reopens.length > 0) {
    await fh.close();
    fh = await open(file, 'a', 0o640);
    generations.push(0);
    for (const seq of reopens.splice(0)) process.send({ type: 'reopened', seq });
  }
  const buf = pool[i++ % pool.length];
  let off = 0;
  while (off < buf.length) off += (await fh.write(buf, off)).bytesWritten;
  generations[generations.length - 1] += buf.length;
  written += buf.length;
  const ahead = started + (written / rate) * 1000 - performance.now();
  if (ahead > 1) await sleep(ahead);
  else await yieldLoop();
}
await fh.close();
process.send({ type: 'stopped', written, generations }, () => process.exit(0));
