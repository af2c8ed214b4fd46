// Every failure becomes an OperationOutcome; unexpected ones are logged and never leak a stack trace.
import type { NextFunction, Request, Response } from 'express';
import { FhirError, errors, issue, outcome } from '../fhir/errors';
import { logger } from '../logger';

/** Errors raised by Express itself; body parsing ones carry a `type` (body-parser convention). */
function fromExpress(err: { type?: string; status?: number; limit?: number }): FhirError | undefined {
  // The router decodes path segments before any handler runs; a bad %-escape surfaces here.
  if (err instanceof URIError) return errors.badRequest('The URL is not validly percent-encoded', undefined, 'HUB-0402');
  if (err.type === 'entity.too.large') return errors.tooLarge(`The request body exceeds the limit of ${err.limit} bytes`);
  if (err.type === 'entity.parse.failed') return errors.invalidJson('The body is not valid JSON');
  if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') return errors.unsupportedMediaType('Unsupported body encoding or charset');
  if (err.type === 'request.aborted') return errors.badRequest('The request was aborted by the client');
  if (typeof err.status === 'number' && err.status >= 400 && err.status < 500) return errors.badRequest('The request could not be read');
  return undefined;
}

export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  const known = err instanceof FhirError ? err : fromExpress(err as object);
  const log = (req as Request & { log?: typeof logger }).log ?? logger;
  if (known) {
    log.info({ status: known.status, problem: known.message }, 'request refused');
    for (const [k, v] of Object.entries(known.headers)) res.setHeader(k, v);
    res.status(known.status).type('application/fhir+json').send(JSON.stringify(known.outcome));
    return;
  }
  log.error({ err }, 'unexpected error');
  const body = outcome([issue({ code: 'exception', text: 'Internal server error; the request id in X-Request-Id identifies it in the logs', id: 'HUB-0500' })]);
  res.status(500).type('application/fhir+json').send(JSON.stringify(body));
}
