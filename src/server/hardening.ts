// HTTP hardening: security headers (helmet), CORS (Fetch standard), rate limits per client (RFC 6585 429).
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { ipKeyGenerator, rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import { securityErrors } from '../security/security-errors';
import type { SecuritySettings } from '../security/settings';

export function securityHeaders(): RequestHandler {
  // An API answers JSON only: nothing of it should ever run as a page. The headers that only matter to
  // pages a browser renders (or to old browsers) are left out: each costs time on every response.
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    crossOriginOpenerPolicy: false,
    crossOriginResourcePolicy: false,
    originAgentCluster: false,
    xDnsPrefetchControl: false,
    xDownloadOptions: false,
    xPermittedCrossDomainPolicies: false,
    xXssProtection: false,
  });
}

const ALLOWED_HEADERS = 'Authorization, Content-Type, Accept, If-Match, If-None-Exist, If-None-Match, If-Modified-Since, Prefer, X-Request-Id, X-Break-Glass';
const EXPOSED_HEADERS = 'ETag, Location, Content-Location, Last-Modified, X-Request-Id, WWW-Authenticate, Retry-After';

/** CORS for the configured origins ('*' for any); no CORS header at all when none is configured. */
export function cors(settings: SecuritySettings): RequestHandler {
  const any = settings.corsOrigins.includes('*');
  const allowed = new Set(settings.corsOrigins);
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.headers.origin;
    if (!origin || (!any && !allowed.has(origin))) return next();
    res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
    if (!any) res.setHeader('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', EXPOSED_HEADERS);
    if (req.method === 'OPTIONS' && req.headers['access-control-request-method']) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, PUT, PATCH, DELETE');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

/**
 * At most `perMinute` requests a minute per key: the authenticated client once known (res.locals.clientKey),
 * else the remote address. 0 turns the limit off.
 */
export function rateLimitPerClient(perMinute: number): RequestHandler {
  if (perMinute === 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-7',
    legacyHeaders: false,
    keyGenerator: (req, res) => (typeof res.locals.clientKey === 'string' ? `client:${res.locals.clientKey}` : `ip:${ipKeyGenerator(req.ip ?? '')}`),
    handler: (_req, _res, next) => next(securityErrors.tooManyRequests(`More than ${perMinute} requests a minute; slow down`, 60)),
  });
}
