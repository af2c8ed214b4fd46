// The one Express handler for the FHIR API: HTTP request → FhirRequest → interaction → HTTP response.
import type { NextFunction, Request, Response } from 'express';
import type { HubContext } from '../fhir/hub-context';
import type { FhirRequest, FhirResponse, HttpMethod } from '../fhir/request';
import { errors } from '../fhir/errors';
import { dispatch } from '../fhir/router';
import { sendRawBinary, wantsRawBinary } from './binary-content';
import { checkAcceptable, parseBody } from './content';

function queryParams(req: Request): [string, string][] {
  const q = req.originalUrl.indexOf('?');
  return q >= 0 ? [...new URLSearchParams(req.originalUrl.slice(q + 1)).entries()] : [];
}

function header(req: Request, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function decodePath(pathname: string): string[] {
  try {
    return pathname.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    throw errors.badRequest('The URL is not validly percent-encoded', undefined, 'HUB-0402');
  }
}

export function toFhirRequest(req: Request, mountPath: string): FhirRequest {
  const pathname = req.path.startsWith(mountPath) ? req.path.slice(mountPath.length) : req.path;
  const { body, form } = parseBody(req, req.body as Buffer | undefined);
  return {
    method: req.method as HttpMethod,
    path: decodePath(pathname),
    params: [...queryParams(req), ...(form ?? [])],
    body,
    contentType: header(req, 'content-type'),
    headers: {
      ifMatch: header(req, 'if-match'),
      ifNoneExist: header(req, 'if-none-exist'),
      ifNoneMatch: header(req, 'if-none-match'),
      ifModifiedSince: header(req, 'if-modified-since'),
      prefer: header(req, 'prefer'),
      accept: header(req, 'accept'),
    },
  };
}

export function sendFhir(res: Response, out: FhirResponse, pretty: boolean, head: boolean): void {
  res.status(out.status);
  for (const [k, v] of Object.entries(out.headers)) res.setHeader(k, v);
  if (out.raw) {
    res.setHeader('Content-Type', out.raw.contentType);
    if (head) res.setHeader('Content-Length', Buffer.byteLength(out.raw.body)), res.end();
    else res.end(out.raw.body);
    return;
  }
  if (out.status === 204 || out.status === 304 || (!out.resource && !out.json)) {
    res.end();
    return;
  }
  let text = out.json ?? JSON.stringify(out.resource);
  if (pretty) text = JSON.stringify(JSON.parse(text), null, 2);
  res.setHeader('Content-Type', 'application/fhir+json; charset=utf-8');
  if (head) res.setHeader('Content-Length', Buffer.byteLength(text)), res.end();
  else res.end(text);
}

export function fhirHandler(ctx: HubContext, mountPath: string) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    try {
      const raw = wantsRawBinary(req, req.path.startsWith(mountPath) ? req.path.slice(mountPath.length) : req.path);
      if (!raw) checkAcceptable(req);
      const fhirReq = toFhirRequest(req, mountPath);
      const out = await dispatch(ctx, fhirReq);
      if (raw) sendRawBinary(req, res, out);
      else sendFhir(res, out, req.query._pretty === 'true', req.method === 'HEAD');
    } catch (err) {
      next(err);
    }
  };
}
