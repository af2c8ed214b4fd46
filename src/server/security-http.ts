// The HTTP side of security: bearer authentication before the FHIR API, SMART discovery, the token endpoint.
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { FhirError } from '../fhir/errors';
import type { HubSecurity } from '../security';
import { BREAK_GLASS_HEADER } from '../security/authenticate';
import { classify } from '../security/interaction-kind';
import { runAs, type RequestSource } from '../security/request-context';
import { smartConfiguration } from '../security/smart-configuration';
import { rateLimitPerClient } from './hardening';

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function sourceOf(req: Request, res: Response): RequestSource {
  return { address: req.socket.remoteAddress, requestId: String(res.getHeader('X-Request-Id') ?? ''), userAgent: header(req, 'user-agent') };
}

/** Authenticates every FHIR request but GET metadata; the caller is then known to the whole interaction. */
export function authenticate(security: HubSecurity, mountPath: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const path = req.path.startsWith(mountPath) ? req.path.slice(mountPath.length) : req.path;
    if ((req.method === 'GET' || req.method === 'HEAD') && path === '/metadata') return next();
    const source = sourceOf(req, res);
    security.authenticator.authenticate({ authorization: header(req, 'authorization'), breakGlass: header(req, BREAK_GLASS_HEADER) }).then(
      (principal) => {
        res.locals.clientKey = principal.clientId ?? principal.subject;
        runAs({ principal, source }, () => next());
      },
      (err: unknown) => {
        // A refused authentication is audited too: who tried is unknown, what and from where is not.
        let segments: string[] = [];
        try {
          segments = path.split('/').filter(Boolean).map(decodeURIComponent);
        } catch {
          /* an undecodable path is reported by the FHIR handler's error */
        }
        const kind = classify({ method: req.method as never, path: segments, params: [], headers: {} });
        security.trail.enqueue({
          kind,
          source,
          status: err instanceof FhirError ? err.status : 500,
          problem: err instanceof FhirError ? err.message : 'Internal error',
          patients: kind.type === 'Patient' && kind.id ? [kind.id] : [],
          resources: kind.type && kind.id ? [`${kind.type}/${kind.id}`] : [],
          recorded: new Date().toISOString(),
        });
        next(err);
      },
    );
  };
}

/** SMART discovery, the hub's public keys and its token endpoint (SMART Backend Services). */
export function mountSmartEndpoints(app: Express, security: HubSecurity, fhirMount: string): void {
  const issuers = [security.hubIssuer, ...security.settings.issuers.map((i) => i.issuer)];
  const discovery = (_req: Request, res: Response) => void res.json(smartConfiguration(security.tokenUrl, security.jwksUrl, issuers));
  app.get(`${fhirMount}/.well-known/smart-configuration`, discovery);
  app.get('/.well-known/smart-configuration', discovery);
  if (!security.backend || !security.hubKey) return;
  const { backend, hubKey } = security;
  app.get('/auth/jwks', (_req, res) => void res.json({ keys: [hubKey.publicJwk] }));
  app.post(
    '/auth/token',
    rateLimitPerClient(security.settings.rateLimitPerMinute),
    express.urlencoded({ extended: false, limit: '64kb' }),
    async (req: Request, res: Response, next: NextFunction) => {
      try {
        const form = (req.body ?? {}) as Record<string, string | undefined>;
        const answer = await backend.token(form);
        res.status(answer.status).set('Cache-Control', 'no-store').json(answer.body);
      } catch (err) {
        next(err);
      }
    },
  );
}
