import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { CrilogError } from '../errors/crilog-error.js';
import type { ListenAddress } from '../units/listen-address.js';
import type { Logger } from '../ports/logger.js';

/** What the HTTP endpoints serve. */
export interface HttpHandlers {
  /**
   * Prometheus exposition text and its content type; the body may come in parts (text rendered now,
   * Buffers kept from earlier scrapes), sent one after the other without being joined.
   */
  metrics(): Promise<{ contentType: string; body: string | readonly (string | Buffer)[] }>;
  /** `/readyz`: false while the runtime is unreachable. */
  ready(): { ok: boolean; reason?: string };
  /** `/status`: the log usage report of every container, as JSON. */
  usage(): Promise<unknown>;
}

/** A listening server. */
export interface RunningHttpServer {
  /** The bound address; the port is the real one when 0 was asked for. */
  host: string;
  port: number;
  /** Stops listening and drops idle and in-flight connections. */
  close(): Promise<void>;
}

/** Limits that keep the metrics port from costing crilog more than a bounded share of its resources. */
export interface HttpLimits {
  /**
   * Connections held at once; more are closed as soon as they are accepted. This is also what keeps
   * file descriptors in reserve: a flood of idle connections can never take more than this many of
   * them, so directory listings, compressions and the runtime socket always have theirs.
   */
  maxConnections: number;
  /** A client must have sent its request headers within this long of connecting, ms. */
  headersTimeoutMs: number;
  /** A whole request must have arrived within this long, ms. */
  requestTimeoutMs: number;
  /** An idle keep-alive connection is closed after this long, ms. */
  keepAliveTimeoutMs: number;
}

/** The limits `crilog daemon` uses: ample for Prometheus and a few humans, small for a flood. */
export const DEFAULT_HTTP_LIMITS: Readonly<HttpLimits> = {
  maxConnections: 64,
  headersTimeoutMs: 5000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 2000,
};

function send(
  res: ServerResponse,
  code: number,
  type: string,
  body: string | readonly (string | Buffer)[],
): void {
  if (typeof body === 'string') {
    res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
    return;
  }
  // A known length instead of chunked encoding; the parts are written as they are, never copied into one.
  let length = 0;
  for (const part of body) length += typeof part === 'string' ? Buffer.byteLength(part) : part.length;
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store', 'content-length': length });
  // Corked: headers and all parts leave in one write to the socket.
  res.cork();
  for (const part of body) res.write(part);
  res.end();
}

/**
 * Serves `/metrics`, `/healthz`, `/readyz` and `/status`. A failing handler yields a 500 for that one
 * request; nothing here can stop the daemon.
 */
export async function startHttpServer(
  address: ListenAddress,
  handlers: HttpHandlers,
  logger: Logger,
  limits: HttpLimits = DEFAULT_HTTP_LIMITS,
): Promise<RunningHttpServer> {
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('allow', 'GET, HEAD');
      return send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n');
    }
    switch (url) {
      case '/metrics': {
        const { contentType, body } = await handlers.metrics();
        return send(res, 200, contentType, body);
      }
      case '/healthz':
        return send(res, 200, 'text/plain; charset=utf-8', 'ok\n');
      case '/readyz': {
        const readiness = handlers.ready();
        return send(
          res,
          readiness.ok ? 200 : 503,
          'text/plain; charset=utf-8',
          readiness.ok ? 'ok\n' : `not ready: ${readiness.reason ?? 'unknown'}\n`,
        );
      }
      case '/status': {
        try {
          return send(res, 200, 'application/json', `${JSON.stringify(await handlers.usage())}\n`);
        } catch (err) {
          return send(res, 503, 'application/json', `${JSON.stringify({ error: (err as Error).message })}\n`);
        }
      }
      default:
        return send(
          res,
          404,
          'text/plain; charset=utf-8',
          'not found; try /metrics, /healthz, /readyz or /status\n',
        );
    }
  };
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      keepAliveTimeout: limits.keepAliveTimeoutMs,
      // Node enforces the two timeouts above from an interval that wakes the process even with no
      // connection at all (each wake-up of an idle Node process costs about 1 ms of CPU here: at one a
      // second, 0.1% of a core). The per-connection deadlines below cut slow clients on time; this
      // interval is only the backstop, at Node's default.
      connectionsCheckingInterval: 30_000,
    },
    (req, res) => {
      handle(req, res).catch((err: unknown) => {
        logger.error({ err, url: req.url }, 'HTTP handler failed');
        if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
        else res.destroy();
      });
    },
  );
  server.maxConnections = limits.maxConnections;
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  // Every connection has one deadline at a time, so that no client holds a connection (and a
  // descriptor) by sending slowly or not at all: its first request's headers within headersTimeoutMs of
  // connecting, its response done within requestTimeoutMs of the request, and the next request's
  // headers within keepAliveTimeoutMs + headersTimeoutMs of that. Timers exist only while connections do.
  const deadlines = new WeakMap<Socket, NodeJS.Timeout>();
  const deadline = (socket: Socket, ms: number | undefined) => {
    clearTimeout(deadlines.get(socket));
    if (ms === undefined) return;
    const timer = setTimeout(() => socket.destroy(), ms);
    timer.unref();
    deadlines.set(socket, timer);
  };
  server.on('connection', (socket: Socket) => {
    deadline(socket, limits.headersTimeoutMs);
    socket.once('close', () => deadline(socket, undefined));
  });
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const { socket } = req;
    deadline(socket, limits.requestTimeoutMs);
    res.once('finish', () => {
      if (!socket.destroyed) deadline(socket, limits.keepAliveTimeoutMs + limits.headersTimeoutMs);
    });
  });
  let refusedLogged = 0;
  server.on('drop', () => {
    // Logged at most once a minute: the flood itself must not flood the log.
    const now = Date.now();
    if (now - refusedLogged < 60_000) return;
    refusedLogged = now;
    logger.warn(
      { maxConnections: limits.maxConnections },
      'metrics port at its connection limit; closing new connections (a flood of idle clients?)',
    );
  });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const why =
        err.code === 'EADDRINUSE'
          ? 'the address is already in use'
          : err.code === 'EADDRNOTAVAIL'
            ? 'no interface has that address'
            : err.code === 'EACCES'
              ? 'permission denied (ports below 1024 need privileges)'
              : err.message;
      reject(
        new CrilogError(
          'ERR_RUNTIME',
          `cannot listen on metrics address "${address.text}": ${why}; choose another with --metrics-address`,
          { cause: err },
        ),
      );
    };
    server.once('error', onError);
    server.listen(address.port, address.host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err }, 'metrics server error'));
  const bound = server.address() as AddressInfo;
  return {
    host: bound.address,
    port: bound.port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
