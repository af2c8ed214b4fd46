// Content negotiation (FHIR R4 §3.1.0.1.7): JSON in and out; XML is refused with a clear answer.
import type { Request } from 'express';
import { errors } from '../fhir/errors';
import { parseJsonText } from '../fhir/json-text';

const JSON_TYPES = new Set(['application/fhir+json', 'application/json', 'application/json-patch+json']);
const FORMAT_ALIASES = new Set(['json', 'application/json', 'application/fhir+json', 'application/json+fhir', 'text/json']);
/** Accepted so that operations which render HTML ($summary) can; every other answer stays JSON. */
const HTML_FORMATS = new Set(['html', 'text/html']);

export function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0].trim().toLowerCase();
}

/** Checks _format and Accept; the hub answers application/fhir+json only. */
export function checkAcceptable(req: Request): void {
  const format = typeof req.query._format === 'string' ? req.query._format : undefined;
  if (format !== undefined) {
    if (!FORMAT_ALIASES.has(format.toLowerCase()) && !HTML_FORMATS.has(format.toLowerCase())) throw errors.notAcceptable(`_format=${format} is not supported; this server speaks application/fhir+json`);
    return;
  }
  const accept = req.headers.accept;
  if (!accept) return;
  const ok = accept.split(',').some((part) => {
    const t = mediaType(part);
    return t === '*/*' || t === 'application/*' || JSON_TYPES.has(t) || t === 'application/json+fhir' || t === 'text/html';
  });
  if (!ok) throw errors.notAcceptable(`Accept: ${accept} cannot be served; this server answers application/fhir+json`);
}

/** Parses the body by its content type; returns undefined for an empty body. */
export function parseBody(req: Request, raw: Buffer | undefined): { body?: unknown; form?: [string, string][] } {
  if (!raw || raw.length === 0) return {};
  const type = mediaType(req.headers['content-type']);
  if (type === 'application/x-www-form-urlencoded') return { form: [...new URLSearchParams(raw.toString('utf8')).entries()] };
  if (type.includes('xml')) throw errors.unsupportedMediaType(`${type} is not supported; send application/fhir+json`);
  if (!JSON_TYPES.has(type) && type !== 'application/json+fhir') {
    throw errors.unsupportedMediaType(`Content-Type "${type || 'missing'}" is not supported; send application/fhir+json`);
  }
  return { body: parseJsonText(raw.toString('utf8')) };
}
