// Security settings (SMART App Launch v2, OpenID Connect Discovery 1.0): read once from the environment.
import path from 'node:path';

export interface IssuerSetting {
  issuer: string;
  /** Where the issuer's keys are; or found through `discovery` (/.well-known/openid-configuration). */
  jwksUri?: string;
  discovery?: string;
}

export interface SecuritySettings {
  /** false only with AUTH=off, which the server accepts on a loopback address alone. */
  authEnabled: boolean;
  auditEnabled: boolean;
  issuers: IssuerSetting[];
  /** The `aud` every access token must carry; the FHIR base URL unless HUB_AUDIENCE says otherwise. */
  audience: string;
  /** The claim holding the professional's national identifier (idNat_PS or RPPS). */
  identityClaim: string;
  clockSkewSeconds: number;
  /** Shortest interval between two JWKS downloads of one issuer (unknown `kid` refetch). */
  jwksCooldownMs: number;
  breakGlassEnabled: boolean;
  /** Allowed CORS origins; ['*'] for any; [] for no CORS headers. */
  corsOrigins: string[];
  /** Requests per minute per client (or address before authentication); 0 for no limit. */
  rateLimitPerMinute: number;
  /** The hub's own signing key (private JWK), generated on first start when missing. */
  signingKeyFile: string;
  /** Lifetime of the tokens the hub issues (SMART Backend Services: at most 5 minutes). */
  tokenLifetimeSeconds: number;
}

function parseIssuers(text: string | undefined): IssuerSetting[] {
  if (!text || text.trim() === '') return [];
  const trimmed = text.trim();
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    const parsed = JSON.parse(trimmed) as unknown;
    const list = Array.isArray(parsed) ? parsed : [parsed];
    return list.map((entry) => {
      const e = entry as { issuer?: string; jwks_uri?: string; discovery?: string };
      if (typeof e.issuer !== 'string') throw new Error('OIDC_ISSUERS: every entry needs an "issuer"');
      if (!e.jwks_uri && !e.discovery) return { issuer: e.issuer, discovery: `${e.issuer.replace(/\/$/, '')}/.well-known/openid-configuration` };
      return { issuer: e.issuer, jwksUri: e.jwks_uri, discovery: e.discovery };
    });
  }
  // Comma list of issuer URLs, each found through its discovery document.
  return trimmed
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((issuer) => ({ issuer, discovery: `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration` }));
}

function whole(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`${name}: expected a whole number, got "${value}"`);
  return n;
}

function flag(value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value === '') return fallback;
  return !['0', 'false', 'off', 'no'].includes(value.toLowerCase());
}

export function loadSecuritySettings(env: NodeJS.ProcessEnv, baseUrl: string, dataDir: string): SecuritySettings {
  const authEnabled = flag(env.AUTH, true);
  const lifetime = whole(env.TOKEN_LIFETIME_SECONDS, 300, 'TOKEN_LIFETIME_SECONDS');
  if (lifetime > 300) throw new Error('TOKEN_LIFETIME_SECONDS: SMART Backend Services tokens live 5 minutes at most');
  return {
    authEnabled,
    // The trail follows authentication unless told otherwise: with AUTH=off there is nobody to name.
    auditEnabled: flag(env.AUDIT, authEnabled),
    issuers: parseIssuers(env.OIDC_ISSUERS),
    audience: env.HUB_AUDIENCE || baseUrl,
    identityClaim: env.IDENTITY_CLAIM || 'preferred_username',
    clockSkewSeconds: whole(env.CLOCK_SKEW_SECONDS, 30, 'CLOCK_SKEW_SECONDS'),
    jwksCooldownMs: whole(env.JWKS_COOLDOWN_MS, 30_000, 'JWKS_COOLDOWN_MS'),
    breakGlassEnabled: flag(env.BREAK_GLASS, false),
    corsOrigins: (env.CORS_ORIGINS ?? '').split(',').map((s) => s.trim()).filter(Boolean),
    rateLimitPerMinute: whole(env.RATE_LIMIT_PER_MINUTE, 1200, 'RATE_LIMIT_PER_MINUTE'),
    signingKeyFile: path.resolve(env.HUB_SIGNING_KEY_FILE ?? path.join(dataDir, 'security', 'hub-signing-key.json')),
    tokenLifetimeSeconds: lifetime,
  };
}
