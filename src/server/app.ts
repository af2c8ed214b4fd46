// The Express application: request ids and logs, security headers and CORS, authentication and rate limits,
// body reading with a size limit, the FHIR API, health, SMART discovery and token endpoint.
import { randomUUID } from 'node:crypto';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import type { HubContext } from '../fhir/hub-context';
import { errors } from '../fhir/errors';
import { logger } from '../logger';
import { securityOf } from '../security';
import { errorHandler } from './errors';
import { fhirHandler } from './fhir-handler';
import { cors, rateLimitPerClient, securityHeaders } from './hardening';
import { authenticate, mountSmartEndpoints } from './security-http';

export const FHIR_MOUNT = '/fhir';

function requestId(req: Request, res: Response, next: NextFunction): void {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
  res.setHeader('X-Request-Id', id);
  // The child logger is made on first use: most requests log nothing at the default level.
  let log: typeof logger | undefined;
  Object.defineProperty(req, 'log', { get: () => (log ??= logger.child({ reqId: id })) });
  if (logger.isLevelEnabled('debug')) {
    const started = process.hrtime.bigint();
    res.on('finish', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      (req as Request & { log: typeof logger }).log.debug({ method: req.method, url: req.originalUrl, status: res.statusCode, ms: Math.round(ms * 10) / 10 }, 'request');
    });
  }
  next();
}

export interface AppOptions {
  /** Reports readiness (database reachable, migrations applied). */
  ready: () => Promise<boolean>;
}

export function createApp(ctx: HubContext, opts: AppOptions): Express {
  const security = securityOf(ctx);
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(requestId);
  app.use(securityHeaders());
  app.use(cors(ctx.config.security));
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    const ok = await opts.ready().catch(() => false);
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'not ready' });
  });
  mountSmartEndpoints(app, security, FHIR_MOUNT);
  // With neither authentication nor audit there is no caller to establish: the layer is left out.
  if (security.settings.authEnabled || security.settings.auditEnabled) app.use(FHIR_MOUNT, authenticate(security, FHIR_MOUNT));
  if (ctx.config.security.rateLimitPerMinute > 0) app.use(FHIR_MOUNT, rateLimitPerClient(ctx.config.security.rateLimitPerMinute));
  app.use(FHIR_MOUNT, express.raw({ type: () => true, limit: ctx.config.bodyLimitBytes }));
  const handler = fhirHandler(ctx, FHIR_MOUNT);
  app.all(`${FHIR_MOUNT}`, handler);
  app.all(`${FHIR_MOUNT}/{*rest}`, handler);
  app.use((req, _res, next) => next(errors.notFound(`Nothing at ${req.path}; the FHIR API is under ${FHIR_MOUNT}`)));
  app.use(errorHandler);
  return app;
}
