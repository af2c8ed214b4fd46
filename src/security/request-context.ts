// Who is asking, carried through one HTTP request (and the Bundle entries it runs) with AsyncLocalStorage.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { AccessRule } from '../store/access-sql';
import type { ScopeSet } from './scopes';

export interface Professional {
  /** The national identifier as found in the token, normalised to idNat_PS (8 + RPPS). */
  nationalId: string;
  practitioners: string[];
  roles: string[];
  organizations: string[];
}

export interface Principal {
  kind: 'anonymous' | 'practitioner' | 'system';
  /** AUTH=off: nothing is checked (loopback only). */
  unrestricted: boolean;
  /** The token's subject, or 'anonymous'. */
  subject: string;
  issuer?: string;
  clientId?: string;
  scopes?: ScopeSet;
  professional?: Professional;
  /** patient/ scopes: the launch patient. */
  patient?: string;
  /** Break the glass: the stated reason. */
  breakGlassReason?: string;
  /** The restriction searches and reads apply; undefined: none. */
  access?: AccessRule;
}

/** Where the request came from, for the audit trail. */
export interface RequestSource {
  address?: string;
  requestId?: string;
  userAgent?: string;
}

/** One interaction being run (a request or a Bundle entry). */
export interface Frame {
  returned: { rid?: number; resType: string; id: string; patients?: string[] }[];
  auditedWrites: number;
  /** Patients of writes refused once their version was indexed (a create about a patient one may not see). */
  refusedPatients?: string[];
}

export interface RequestState {
  principal: Principal;
  source: RequestSource;
  frame?: Frame;
}

const storage = new AsyncLocalStorage<RequestState>();

export function currentRequest(): RequestState | undefined {
  return storage.getStore();
}

export function runAs<T>(state: RequestState, fn: () => T): T {
  return storage.run(state, fn);
}

/** Runs one interaction in its own frame, so nested Bundle entries account for themselves. */
export function inFrame<T>(frame: Frame, fn: () => Promise<T>): Promise<T> {
  const state = storage.getStore();
  if (!state) return fn();
  return storage.run({ ...state, frame }, fn);
}

/**
 * Runs fn as the hub's own work, outside the caller's context: no scope, care relationship or audit applies.
 * For look-ups the hub makes on its own behalf (e.g. identity vigilance when filing a letter), never for writes.
 */
export function asHub<T>(fn: () => T): T {
  return storage.exit(fn);
}
