// Binary read in its native form (FHIR R4 §2.42 Binary "Serving Binary Resources using the RESTful API"): when the
// Accept header asks for a content type that is not a FHIR format, the raw bytes are returned with their content type.
import type { Request, Response } from 'express';
import { errors } from '../fhir/errors';
import type { FhirResponse } from '../fhir/request';
import { mediaType } from './content';

const FHIR_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json+fhir', 'text/json', 'text/html', 'application/fhir+xml', 'application/xml+fhir']);

function accepted(req: Request): string[] {
  return (req.headers.accept ?? '').split(',').map(mediaType).filter(Boolean);
}

/** A read or vread of Binary whose Accept names only non-FHIR types (e.g. application/pdf): answer with the bytes. */
export function wantsRawBinary(req: Request, pathname: string): boolean {
  const path = pathname.split('/').filter(Boolean);
  if ((req.method !== 'GET' && req.method !== 'HEAD') || path[0] !== 'Binary' || req.query._format !== undefined) return false;
  if (path.length !== 2 && !(path.length === 4 && path[2] === '_history')) return false;
  const types = accepted(req);
  return types.length > 0 && types.every((t) => !FHIR_TYPES.has(t)) && types.some((t) => t !== '*/*');
}

export function sendRawBinary(req: Request, res: Response, out: FhirResponse): void {
  res.status(out.status);
  for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
  if (out.status === 304 || (!out.resource && !out.json)) {
    res.end();
    return;
  }
  const binary = (out.resource ?? JSON.parse(out.json!)) as { contentType?: string; data?: string };
  const type = mediaType(binary.contentType);
  const ok = accepted(req).some((t) => t === type || t === '*/*' || (t.endsWith('/*') && type.startsWith(t.slice(0, -1))));
  if (!ok) throw errors.notAcceptable(`Binary holds ${binary.contentType}; Accept: ${req.headers.accept} does not allow it (ask for ${binary.contentType} or application/fhir+json)`);
  const bytes = Buffer.from(binary.data ?? '', 'base64');
  res.setHeader('Content-Type', binary.contentType!);
  res.setHeader('Content-Length', bytes.length);
  if (req.method === 'HEAD') res.end();
  else res.end(bytes);
}
