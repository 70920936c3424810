import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { CrilogError } from '../errors/crilog-error.js';
import type { ListenAddress } from '../units/listen-address.js';
import type { Logger } from '../ports/logger.js';

/** What the HTTP endpoints serve. */
export interface HttpHandlers {
  /** Prometheus exposition text and its content type. */
  metrics(): Promise<{ contentType: string; body: string }>;
  /** `/readyz`: false while the runtime is unreachable. */
  ready(): { ok: boolean; reason?: string };
  /** `/status`: the daemon's view of every container, as JSON. */
  status(): Promise<unknown>;
}

/** A listening server. */
export interface RunningHttpServer {
  /** The bound address; the port is the real one when 0 was asked for. */
  host: string;
  port: number;
  /** Stops listening and drops idle and in-flight connections. */
  close(): Promise<void>;
}

function send(res: ServerResponse, code: number, type: string, body: string): void {
  res.writeHead(code, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * Serves `/metrics`, `/healthz`, `/readyz` and `/status`. A failing handler yields a 500 for that one
 * request; nothing here can stop the daemon.
 */
export async function startHttpServer(
  address: ListenAddress,
  handlers: HttpHandlers,
  logger: Logger,
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
        const r = handlers.ready();
        return send(
          res,
          r.ok ? 200 : 503,
          'text/plain; charset=utf-8',
          r.ok ? 'ok\n' : `not ready: ${r.reason ?? 'unknown'}\n`,
        );
      }
      case '/status': {
        try {
          return send(res, 200, 'application/json', `${JSON.stringify(await handlers.status())}\n`);
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
  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'HTTP handler failed');
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 5000;
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
