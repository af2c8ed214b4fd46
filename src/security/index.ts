// The security layer of the hub (SMART App Launch v2, Backend Services, IHE BALP): assembled once per hub.
import type { HubContext } from '../fhir/hub-context';
import { auditEventBackend } from './audit-endpoint';
import { AuditTrail } from './audit-trail';
import { Authenticator } from './authenticate';
import { BackendServices } from './backend-services';
import { SecurityGuard } from './guard';
import { loadOrCreateHubKey, type HubKey } from './hub-key';
import { ProfessionalDirectory } from './identity';
import { TokenVerifier } from './verify-token';
import type { SecuritySettings } from './settings';

export interface HubSecurity {
  settings: SecuritySettings;
  guard: SecurityGuard;
  trail: AuditTrail;
  authenticator: Authenticator;
  /** Absent with AUTH=off: there is nothing to issue tokens for. */
  backend?: BackendServices;
  hubKey?: HubKey;
  /** The `iss` of the tokens the hub signs. */
  hubIssuer: string;
  tokenUrl: string;
  jwksUrl: string;
  /** Writes the audit events still queued. */
  close(): Promise<void>;
}

/** The hub's own issuer is its FHIR base URL; its endpoints sit beside the FHIR API. */
export function hubEndpoints(baseUrl: string): { issuer: string; tokenUrl: string; jwksUrl: string } {
  const origin = new URL(baseUrl).origin;
  return { issuer: baseUrl, tokenUrl: `${origin}/auth/token`, jwksUrl: `${origin}/auth/jwks` };
}

const byContext = new WeakMap<HubContext, HubSecurity>();

/** The security of the hub a context belongs to; the HTTP layer refuses to serve a hub without one. */
export function securityOf(ctx: HubContext): HubSecurity {
  const security = byContext.get(ctx);
  if (!security) throw new Error('This hub context was opened without its security layer (use openHub)');
  return security;
}

export async function openSecurity(ctx: HubContext): Promise<HubSecurity> {
  const settings = ctx.config.security;
  const { issuer, tokenUrl, jwksUrl } = hubEndpoints(ctx.config.baseUrl);
  const trail = new AuditTrail(ctx, settings.auditEnabled);
  const guard = new SecurityGuard(ctx, trail);
  const directory = new ProfessionalDirectory(ctx.db);
  // With AUTH=off no key is made: nothing is verified and no token is issued.
  const hubKey = settings.authEnabled ? await loadOrCreateHubKey(settings.signingKeyFile) : undefined;
  const verifier = new TokenVerifier(settings, issuer, hubKey?.publicJwk ?? { kty: 'EC' });
  const authenticator = new Authenticator(settings, verifier, directory);
  const backend = hubKey ? new BackendServices(ctx.db, settings, hubKey, issuer, tokenUrl) : undefined;
  const security = { settings, guard, trail, authenticator, backend, hubKey, hubIssuer: issuer, tokenUrl, jwksUrl, close: () => trail.flush() };
  byContext.set(ctx, security);
  // AuditEvent lives in the audit log, not in the resource tables: its reads and searches are served from there.
  ctx.backends = { ...ctx.backends, AuditEvent: auditEventBackend };
  return security;
}
