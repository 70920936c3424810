import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { parseListenAddress } from '../units/listen-address.js';
import type { Logger } from '../ports/logger.js';
import { DEFAULT_HTTP_LIMITS, startHttpServer, type RunningHttpServer } from './http-server.js';

const servers: RunningHttpServer[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

const handlers = {
  metrics: async () => ({ contentType: 'text/plain', body: 'm 1\n' }),
  ready: () => ({ ok: true }),
  usage: async () => ({}),
};

function idle(port: number): Promise<{ socket: Socket; closed: Promise<number> }> {
  const socket = connect(port, '127.0.0.1');
  sockets.push(socket);
  socket.on('error', () => {});
  const closed = once(socket, 'close').then(() => performance.now());
  // A connection the server drops while the machine is busy may close before 'connect' is seen.
  const settled = new Promise<void>((resolve) => {
    socket.once('connect', resolve);
    socket.once('close', () => resolve());
  });
  return settled.then(() => ({ socket, closed }));
}

describe('metrics server limits', () => {
  it('has sensible defaults', () => {
    expect(DEFAULT_HTTP_LIMITS).toEqual({
      maxConnections: 64,
      headersTimeoutMs: 5000,
      requestTimeoutMs: 10_000,
      keepAliveTimeoutMs: 2000,
    });
  });

  it('holds at most maxConnections idle connections, warns once, and closes idle ones after the header timeout', async () => {
    const warnings: string[] = [];
    const logger: Logger = { debug() {}, info() {}, warn: (_o, m) => warnings.push(String(m)), error() {} };
    const server = await startHttpServer(parseListenAddress('127.0.0.1:0'), handlers, logger, {
      maxConnections: 5,
      headersTimeoutMs: 600,
      requestTimeoutMs: 1200,
      keepAliveTimeoutMs: 500,
    });
    servers.push(server);
    const started = performance.now();
    const flood = await Promise.all(Array.from({ length: 40 }, () => idle(server.port)));
    const closedAt = await Promise.all(flood.map((f) => f.closed));
    const early = closedAt.filter((t) => t - started < 500).length;
    // All but the 5 admitted were dropped on accept; those 5 were cut by the timeouts, not held forever.
    expect(early).toBeGreaterThanOrEqual(35);
    expect(Math.max(...closedAt) - started).toBeLessThan(5000);
    expect(warnings.filter((w) => /connection limit/.test(w))).toHaveLength(1);
    // Once the flood is gone the port answers again.
    const res = await fetch(`http://127.0.0.1:${server.port}/healthz`);
    expect(res.status).toBe(200);
  });
  it('cuts a client that sends its headers slowly, on its first request or on a later one of a kept-alive connection', async () => {
    const limits = {
      maxConnections: 5,
      headersTimeoutMs: 600,
      requestTimeoutMs: 1200,
      keepAliveTimeoutMs: 400,
    };
    const logger: Logger = { debug() {}, info() {}, warn() {}, error() {} };
    const server = await startHttpServer(parseListenAddress('127.0.0.1:0'), handlers, logger, limits);
    servers.push(server);
    const request = 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n';
    /** Sends `text` a byte every 100 ms until the server closes the connection; ms from the first byte. */
    const dribble = async (socket: Socket, text: string) => {
      const started = performance.now();
      const closed = once(socket, 'close').then(() => performance.now() - started);
      for (const byte of text.repeat(20)) {
        if (socket.destroyed || socket.writableEnded) break;
        socket.write(byte);
        await new Promise((r) => setTimeout(r, 100));
      }
      return closed;
    };
    const first = await idle(server.port);
    const second = await idle(server.port);
    // The second client's first request is whole; the next one it dribbles.
    const answered = new Promise<void>((resolve) =>
      second.socket.on('data', (d: Buffer) => d.toString().includes('ok') && resolve()),
    );
    second.socket.write(request);
    await answered;
    const [cutFirst, cutSecond] = await Promise.all([
      dribble(first.socket, request),
      dribble(second.socket, request),
    ]);
    expect(cutFirst).toBeLessThan(limits.headersTimeoutMs + 1000);
    expect(cutSecond).toBeLessThan(limits.keepAliveTimeoutMs + limits.headersTimeoutMs + 1000);
  });
});

describe('metrics body in parts', () => {
  it('sends text and Buffer parts whole, in order, with their length (GET and HEAD)', async () => {
    const kept = Buffer.from('per_container{id="ü"} 1\n');
    const server = await startHttpServer(
      parseListenAddress('127.0.0.1:0'),
      { ...handlers, metrics: async () => ({ contentType: 'text/plain', body: ['node 1\n', kept] }) },
      { debug() {}, info() {}, warn() {}, error() {} },
    );
    servers.push(server);
    const url = `http://127.0.0.1:${server.port}/metrics`;
    const get = await fetch(url);
    expect(await get.text()).toBe('node 1\nper_container{id="ü"} 1\n');
    const length = String(Buffer.byteLength('node 1\n') + kept.length);
    expect(get.headers.get('content-length')).toBe(length);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe(length);
    expect(await head.text()).toBe('');
  });
});
