/**
 * Writes a container log history for the reader benchmark: rotated files named as crilog names them,
 * all gzipped except the newest rotated one (as the kubelet leaves it), then the live file. Lines are
 * CRI records 500 µs apart ending at a fixed time, 5% on stderr, 1% split into a P and an F chunk.
 */
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { once } from 'node:events';
import zlib from 'node:zlib';

/** Time of the last line: `since` durations in the benchmark are relative to it. */
export const END_MS = Date.UTC(2026, 10, 27, 12, 0, 0);
const STEP_NS = 500_000n;
const CHUNK = 1 << 20;

const WORDS = [
  'GET',
  'POST',
  '/api/v1/items',
  '/healthz',
  'user',
  'order',
  'cache',
  'miss',
  'hit',
  'db',
  'ok',
  'retry',
  'timeout',
  'shard',
  'eu-west-1',
];

/** Deterministic xorshift, so every run writes the same bytes. */
function prng(seed) {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

function stamp(ms) {
  const d = new Date(ms).toISOString();
  return `${d.slice(0, 4)}${d.slice(5, 7)}${d.slice(8, 10)}-${d.slice(11, 13)}${d.slice(14, 16)}${d.slice(17, 19)}`;
}

/**
 * @param {string} dir created if missing
 * @param {{ totalBytes: number, fileBytes: number }} spec
 * @returns {Promise<{ logPath: string, files: string[], rawBytes: number, lines: number, records: number, firstMs: number, endMs: number }>}
 */
export async function generateHistory(dir, { totalBytes, fileBytes }) {
  await mkdir(dir, { recursive: true });
  const logPath = path.join(dir, '0.log');
  const fileCount = Math.max(1, Math.ceil(totalBytes / fileBytes));
  const avgRecord = 150;
  const records = Math.ceil(totalBytes / avgRecord);
  // Start early enough that the last record lands near END_MS.
  let tsNs = BigInt(END_MS) * 1_000_000n - BigInt(records) * STEP_NS;
  const firstMs = Number(tsNs / 1_000_000n);
  const rand = prng(42);
  let lines = 0;
  let recordCount = 0;
  let rawBytes = 0;
  let secondPrefix = '';
  let prefixSec = -1n;
  const ts = () => {
    const sec = tsNs / 1_000_000_000n;
    if (sec !== prefixSec) {
      prefixSec = sec;
      secondPrefix = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
    }
    return `${secondPrefix}.${String(tsNs % 1_000_000_000n).padStart(9, '0')}Z`;
  };
  const line = () => {
    const words = 6 + Math.floor(rand() * 18);
    let msg = `{"level":"${rand() < 0.9 ? 'info' : 'warn'}","seq":${lines},"msg":"`;
    for (let w = 0; w < words; w++) msg += (w ? ' ' : '') + WORDS[Math.floor(rand() * WORDS.length)];
    return `${msg}","latency_ms":${(rand() * 250).toFixed(3)}}`;
  };

  const files = [];
  const pending = [];
  for (let f = 0; f < fileCount; f++) {
    const live = f === fileCount - 1;
    const gz = !live && f < fileCount - 2;
    const base = live ? logPath : `${logPath}.${stamp(Number(tsNs / 1_000_000n))}`;
    const file = gz ? `${base}.gz` : base;
    files.push(file);
    const out = createWriteStream(file);
    const sink = gz ? zlib.createGzip({ level: 6 }) : out;
    if (gz) sink.pipe(out);
    const budget = live ? totalBytes - rawBytes : fileBytes;
    let written = 0;
    while (written < budget) {
      let chunk = '';
      while (chunk.length < CHUNK && written + chunk.length < budget) {
        const stream = rand() < 0.05 ? 'stderr' : 'stdout';
        const content = line();
        if (rand() < 0.01) {
          const cut = content.length >> 1;
          chunk += `${ts()} ${stream} P ${content.slice(0, cut)}\n`;
          tsNs += STEP_NS / 2n;
          chunk += `${ts()} ${stream} F ${content.slice(cut)}\n`;
          tsNs += STEP_NS / 2n;
          recordCount += 2;
        } else {
          chunk += `${ts()} ${stream} F ${content}\n`;
          tsNs += STEP_NS;
          recordCount++;
        }
        lines++;
      }
      written += chunk.length;
      if (!sink.write(chunk)) await once(sink, 'drain');
    }
    rawBytes += written;
    sink.end();
    // Compression runs on libuv's pool while the next file is generated; a few files in flight at most.
    pending.push(once(out, 'close'));
    if (pending.length >= 4) await pending.shift();
  }
  await Promise.all(pending);
  const manifest = {
    logPath,
    files,
    rawBytes,
    lines,
    records: recordCount,
    firstMs,
    endMs: Number(tsNs / 1_000_000n),
  };
  await writeFile(path.join(dir, 'history.json'), JSON.stringify(manifest, null, 2));
  return manifest;
}
