// Runs the HTTP server; on SIGTERM/SIGINT stops accepting, finishes in-flight requests, then closes the database.
import type { ServerResponse, Server } from 'node:http';
import type { Hub } from '../hub';
import { logger } from '../logger';
import { createApp } from './app';

/** In-flight requests get this long to finish once shutdown starts; then their connections are cut. */
export const SHUTDOWN_GRACE_MS = 25_000;

export interface Running {
  server: Server;
  stop(): Promise<void>;
}

export async function serve(hub: Hub, port: number, host: string): Promise<Running> {
  const app = createApp(hub.ctx, { ready: async () => (await hub.ctx.db.query('SELECT 1 AS ok')).rows.length === 1 });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.on('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  const inFlight = new Set<ServerResponse>();
  let stopping: Promise<void> | undefined;
  server.on('request', (_req, res: ServerResponse) => {
    inFlight.add(res);
    res.on('close', () => inFlight.delete(res));
    // A request that arrives on a kept-alive connection during shutdown is served, and the connection closed.
    if (stopping) res.setHeader('Connection', 'close');
  });
  const stop = () =>
    (stopping ??= (async () => {
      logger.info({ inFlight: inFlight.size }, 'shutting down: finishing in-flight requests');
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // server.close() waits for every connection; kept-alive idle ones would hold it for keepAliveTimeout.
        server.closeIdleConnections();
        for (const res of inFlight) {
          if (!res.headersSent) res.setHeader('Connection', 'close');
          res.on('finish', () => setImmediate(() => server.closeIdleConnections()));
        }
        setTimeout(() => {
          logger.warn({ inFlight: inFlight.size }, 'shutdown grace period over: closing the remaining connections');
          server.closeAllConnections();
        }, SHUTDOWN_GRACE_MS).unref();
      });
      await hub.close();
      logger.info('stopped');
    })());
  return { server, stop };
}
