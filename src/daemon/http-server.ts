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
      // How often those two timeouts are enforced: often enough that a slow client is cut near them.
      connectionsCheckingInterval: Math.max(250, Math.min(1000, limits.headersTimeoutMs / 2)),
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
  // Node's header timeout only runs once a request has begun: a client that connects and never sends
  // a byte would hold its connection (and descriptor) forever. Such a connection gets the same time.
  const silent = new WeakMap<Socket, NodeJS.Timeout>();
  server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => socket.destroy(), limits.headersTimeoutMs);
    timer.unref();
    silent.set(socket, timer);
    socket.once('close', () => clearTimeout(timer));
  });
  server.on('request', (req: IncomingMessage) => clearTimeout(silent.get(req.socket)));
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
