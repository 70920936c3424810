import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { CrilogError } from '../../errors/crilog-error.js';
import type { CodecName, GzipEngineChoice } from '../codec-names.js';
import { libdeflateLevel } from '../gzip-levels.js';
import type { WorkerReply } from './protocol.js';
import { CompressionSession, type SessionPort } from './compression-session.js';
import { resolveGzipEngine, type GzipEngine } from './libdeflate-binding.js';
import { compressWorkerMain, type CompressWorkerData } from './worker-main.js';

/** Options of `new CompressionPool()`. */
export interface CompressionPoolOptions {
  /** Most worker threads at once; each compresses one file at a time. Default 2. */
  size?: number;
  /**
   * Nice value (0–19) of the worker threads on Linux. With 10, compression gives way to the rotation
   * path and to the workloads whenever the CPU is contended, and still uses idle CPU fully. Default 0.
   */
  nice?: number;
  /** A worker idle this long ends (it is started again when needed). Default 5 s. */
  idleMs?: number;
  /**
   * Deflate engine for gzip: `auto` uses crilog's libdeflate binding when it was built at install
   * (Debian `libdeflate-dev`), else Node's zlib. Unset or `null`: `CRILOG_GZIP_ENGINE`, else `auto`.
   */
  gzipEngine?: GzipEngineChoice | null;
}

interface Slot extends SessionPort {
  worker: Worker;
  sessions: Map<number, CompressionSession>;
  tid: Promise<number | null>;
  idleTimer: NodeJS.Timeout | undefined;
}

const workerCode = `(${compressWorkerMain.toString()})()`;

function zstdPath(): string | null {
  try {
    return createRequire(import.meta.url).resolve('zstd-napi');
  } catch {
    return null;
  }
}

/**
 * Worker threads that compress rotated logs. The event loop and libuv's thread pool keep serving the
 * rotation path (stats, renames, reopen calls) while a file is compressed, and on Linux the workers can
 * run at a lower CPU priority than the rest of the process. Workers start on first use, are
 * unreferenced while idle (an idle pool never keeps a process alive) and are replaced if they die.
 */
export class CompressionPool {
  readonly #size: number;
  readonly #data: CompressWorkerData;
  readonly #slots: Slot[] = [];
  readonly #idleMs: number;
  #nextSid = 1;
  /** The deflate engine this pool's gzip compressions use. */
  readonly gzipEngine: GzipEngine;

  constructor(options: CompressionPoolOptions = {}) {
    const size = options.size ?? 2;
    const nice = options.nice ?? 0;
    if (!Number.isInteger(size) || size < 1)
      throw new CrilogError(
        'ERR_INVALID_OPTION',
        `invalid pool size ${size}: must be an integer of at least 1`,
      );
    if (!Number.isInteger(nice) || nice < 0 || nice > 19)
      throw new CrilogError(
        'ERR_INVALID_OPTION',
        `invalid nice value ${nice}: must be an integer from 0 to 19`,
      );
    this.#size = size;
    this.#idleMs = options.idleMs ?? 5000;
    const gzip = resolveGzipEngine(options.gzipEngine);
    this.gzipEngine = gzip.engine;
    this.#data = { nice, zstdPath: zstdPath(), libdeflatePath: gzip.path };
  }

  /**
   * Starts a compression on a worker thread (the least busy one, started if needed). `level` is the
   * codec's level as configured; on libdeflate, gzip level N becomes the libdeflate level whose output
   * matches it (`libdeflateLevel`), which is resolved here so the worker has no table of its own.
   */
  open(codec: CodecName, level: number): CompressionSession {
    if (codec === 'gzip' && this.gzipEngine === 'libdeflate') level = libdeflateLevel(level);
    const slot = this.#pick();
    const sid = this.#nextSid++;
    const session = new CompressionSession(slot, sid);
    slot.sessions.set(sid, session);
    clearTimeout(slot.idleTimer);
    slot.worker.ref();
    slot.send({ op: 'open', sid, codec, level });
    return session;
  }

  /** Thread ids of the live workers (Linux; `null` elsewhere), for tests and diagnostics. */
  threadIds(): Promise<(number | null)[]> {
    return Promise.all(this.#slots.map((s) => s.tid));
  }

  /** Ends every worker; compressions still running fail and are redone by the next pass. */
  async close(): Promise<void> {
    const slots = this.#slots.splice(0);
    for (const s of slots) clearTimeout(s.idleTimer);
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }

  #pick(): Slot {
    const idle = this.#slots.find((s) => s.sessions.size === 0);
    if (idle) return idle;
    if (this.#slots.length < this.#size) return this.#spawn();
    return this.#slots.reduce((a, b) => (b.sessions.size < a.sessions.size ? b : a));
  }

  #retire(slot: Slot): void {
    if (slot.sessions.size > 0) return;
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    void slot.worker.terminate();
  }

  #spawn(): Slot {
    const worker = new Worker(workerCode, { eval: true, workerData: this.#data, name: 'crilog-compress' });
    let tidReady: (tid: number | null) => void = () => {};
    const slot: Slot = {
      worker,
      sessions: new Map(),
      tid: new Promise((resolve) => (tidReady = resolve)),
      send: (message, transfer) => worker.postMessage(message, transfer),
      idleTimer: undefined,
      release: (sid) => {
        if (!slot.sessions.delete(sid) || slot.sessions.size > 0) return;
        worker.unref();
        slot.idleTimer = setTimeout(() => this.#retire(slot), this.#idleMs);
        slot.idleTimer.unref();
      },
    };
    worker.on('message', (m: WorkerReply) => {
      if (m.op === 'ready') return tidReady(m.tid);
      slot.sessions.get(m.sid)?.receive(m);
    });
    const fail = (err: Error) => {
      tidReady(null);
      clearTimeout(slot.idleTimer);
      const i = this.#slots.indexOf(slot);
      if (i >= 0) this.#slots.splice(i, 1);
      for (const s of [...slot.sessions.values()]) s.fail(err);
      slot.sessions.clear();
    };
    worker.on('error', (err) => fail(new Error(`compression worker failed: ${err.message}`, { cause: err })));
    worker.on('exit', (code) => fail(new Error(`compression worker exited with code ${code}`)));
    this.#slots.push(slot);
    return slot;
  }
}
