// Authentication (RFC 6750 bearer tokens, SMART App Launch v2 scopes): a request's token becomes a Principal.
import type { AccessRule } from '../store/access-sql';
import type { ProfessionalDirectory } from './identity';
import type { Principal } from './request-context';
import { ScopeSet } from './scopes';
import { securityErrors } from './security-errors';
import type { SecuritySettings } from './settings';
import type { TokenVerifier } from './verify-token';

export const BREAK_GLASS_HEADER = 'x-break-glass';
const MAX_REASON = 500;

export const ANONYMOUS: Principal = { kind: 'anonymous', unrestricted: true, subject: 'anonymous' };

export interface Credentials {
  authorization?: string;
  /** The break-the-glass header: the reason for an emergency access. */
  breakGlass?: string;
}

function scopeText(payload: Record<string, unknown>): string {
  if (typeof payload.scope === 'string') return payload.scope;
  if (Array.isArray(payload.scp)) return payload.scp.filter((s) => typeof s === 'string').join(' ');
  return '';
}

export class Authenticator {
  constructor(
    private readonly settings: SecuritySettings,
    private readonly verifier: TokenVerifier,
    private readonly directory: ProfessionalDirectory,
  ) {}

  async authenticate(creds: Credentials): Promise<Principal> {
    if (!this.settings.authEnabled) return ANONYMOUS;
    const match = /^Bearer\s+(\S+)\s*$/i.exec(creds.authorization ?? '');
    if (!match) throw securityErrors.unauthenticated('This hub needs an access token: Authorization: Bearer <token>', 'invalid_request');
    const { payload, issuer } = await this.verifier.verify(match[1]);
    const text = scopeText(payload);
    const claim = payload[this.settings.identityClaim];
    const clientId = typeof payload.client_id === 'string' ? payload.client_id : typeof payload.azp === 'string' ? payload.azp : undefined;
    const base = { issuer, subject: String(payload.sub ?? ''), clientId };
    if (claim === undefined) {
      const scopes = new ScopeSet(text, ['system']);
      if (scopes.scopes.length === 0) {
        throw securityErrors.insufficientScope(`The token names no professional ("${this.settings.identityClaim}" claim) and grants no system/ scope`);
      }
      if (creds.breakGlass !== undefined) throw securityErrors.forbidden('Break the glass is for professionals, not for system clients');
      return { ...base, kind: 'system', unrestricted: false, scopes, access: { types: scopes.readableTypes() } };
    }
    const professional = await this.directory.resolve(claim, this.settings.identityClaim);
    const scopes = new ScopeSet(text, ['user', 'patient']);
    if (scopes.scopes.length === 0) throw securityErrors.insufficientScope('The token grants no user/ or patient/ scope');
    let patient: string | undefined;
    if (!scopes.has('user')) {
      if (typeof payload.patient !== 'string') throw securityErrors.insufficientScope('patient/ scopes need a patient in the launch context (the "patient" claim)');
      patient = payload.patient;
    }
    const breakGlassReason = this.breakGlass(creds.breakGlass);
    const access: AccessRule = {
      types: scopes.readableTypes(),
      care: {
        practitioners: professional.practitioners,
        roles: professional.roles,
        organizations: professional.organizations,
        breakGlass: breakGlassReason !== undefined,
        patient,
      },
    };
    return { ...base, kind: 'practitioner', unrestricted: false, scopes, professional, patient, breakGlassReason, access };
  }

  private breakGlass(header: string | undefined): string | undefined {
    if (header === undefined) return undefined;
    if (!this.settings.breakGlassEnabled) throw securityErrors.forbidden('Break the glass is not enabled on this hub');
    const reason = header.trim();
    if (reason === '' || reason.length > MAX_REASON) throw securityErrors.forbidden(`Break the glass needs a reason of 1 to ${MAX_REASON} characters in the X-Break-Glass header`);
    return reason;
  }
}
