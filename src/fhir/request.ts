// FHIR interactions as plain values, with no HTTP framework in them (FHIR R4 §3.1.0 RESTful API).
import type { Resource } from '@medplum/fhirtypes';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface FhirRequest {
  method: HttpMethod;
  /** Path segments after the FHIR base, e.g. ['Patient', '123', '_history', '2']. */
  path: string[];
  /** Query (and form-body) parameters in order, repeated names kept. */
  params: [string, string][];
  body?: unknown;
  contentType?: string;
  headers: {
    ifMatch?: string;
    ifNoneExist?: string;
    ifNoneMatch?: string;
    ifModifiedSince?: string;
    prefer?: string;
    /** The Accept header, for the operations that can answer in another format (e.g. $summary in HTML). */
    accept?: string;
  };
}

export interface FhirResponse {
  status: number;
  /** The resource to send, or the stored JSON text when it can be sent untouched. */
  resource?: Resource;
  json?: string;
  /** A body that is not FHIR JSON (an HTML rendering), sent as is with its media type. */
  raw?: { contentType: string; body: string };
  headers: Record<string, string>;
}

export type PreferReturn = 'minimal' | 'representation' | 'OperationOutcome';

export function preferReturn(req: FhirRequest): PreferReturn {
  const m = /return=(minimal|representation|OperationOutcome)/.exec(req.headers.prefer ?? '');
  return (m?.[1] as PreferReturn) ?? 'representation';
}

export function preferLenient(req: FhirRequest): boolean {
  return /handling=lenient/.test(req.headers.prefer ?? '');
}

export function param(req: FhirRequest, name: string): string | undefined {
  return req.params.find(([k]) => k === name)?.[1];
}

export function newRequest(method: HttpMethod, path: string[], init: Partial<FhirRequest> = {}): FhirRequest {
  return { method, path, params: init.params ?? [], body: init.body, contentType: init.contentType, headers: init.headers ?? {} };
}
