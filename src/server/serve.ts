// Runs the HTTP server; on SIGTERM/SIGINT stops accepting, finishes in-flight requests, then closes the database.
import type { Server } from 'node:http';
import type { Hub } from '../hub';
import { logger } from '../logger';
import { createApp } from './app';

export interface Running {
  server: Server;
  stop(): Promise<void>;
}

export async function serve(hub: Hub, port: number, host: string): Promise<Running> {
  const app = createApp(hub.ctx, { ready: async () => (await hub.ctx.db.query('SELECT 1')).rowCount === 1 });
  const server = await new Promise<Server>((resolve, reject) => {
    const s = app.listen(port, host, () => resolve(s));
    s.on('error', reject);
  });
  server.keepAliveTimeout = 65_000;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      logger.info('shutting down: finishing in-flight requests');
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await hub.close();
      logger.info('stopped');
    })());
  return { server, stop };
}
