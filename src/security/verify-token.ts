// Bearer access tokens (RFC 6750, RFC 9068): signature against the issuer's JWKS, iss, aud, exp/nbf with clock skew.
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JWK, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { securityErrors } from './security-errors';
import type { IssuerSetting, SecuritySettings } from './settings';

const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'ES256', 'ES384', 'ES512'];

/** Finds the JWKS of an issuer from its settings; discovery documents are read once. */
class IssuerKeys {
  private keys?: Promise<JWTVerifyGetKey>;

  constructor(
    private readonly setting: IssuerSetting,
    private readonly cooldownMs: number,
  ) {}

  get(): Promise<JWTVerifyGetKey> {
    this.keys ??= this.resolve().catch((err) => {
      this.keys = undefined; // a failed discovery is retried on the next token
      throw err;
    });
    return this.keys;
  }

  private async resolve(): Promise<JWTVerifyGetKey> {
    let uri = this.setting.jwksUri;
    if (!uri) {
      const res = await fetch(this.setting.discovery!, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`discovery answered ${res.status}`);
      const doc = (await res.json()) as { issuer?: string; jwks_uri?: string };
      // OpenID Connect Discovery §4.3: the document must name the issuer it was fetched for.
      if (doc.issuer !== this.setting.issuer) throw new Error(`discovery names issuer "${doc.issuer}"`);
      if (!doc.jwks_uri) throw new Error('discovery has no jwks_uri');
      uri = doc.jwks_uri;
    }
    // jose caches the set and refetches it when a token names an unknown kid (at most once per cooldown).
    return createRemoteJWKSet(new URL(uri), { cooldownDuration: this.cooldownMs, cacheMaxAge: 10 * 60_000, timeoutDuration: 5000 });
  }
}

export interface VerifiedToken {
  issuer: string;
  payload: JWTPayload & Record<string, unknown>;
  /** True when the hub itself signed the token (backend services or development tokens). */
  fromHub: boolean;
}

/** A verified token is remembered this long at most (and never past its exp), so a changed key takes effect soon. */
const CACHE_MS = 60_000;
const CACHE_SIZE = 10_000;

export class TokenVerifier {
  private readonly issuers = new Map<string, IssuerKeys>();
  private readonly hubKeys: JWTVerifyGetKey;
  /** Signature checks cost more than the rest of a read: a client reuses its token for many requests. */
  private readonly verified = new Map<string, { token: VerifiedToken; until: number }>();

  constructor(
    private readonly settings: SecuritySettings,
    private readonly hubIssuer: string,
    hubPublicJwk: JWK,
  ) {
    for (const i of settings.issuers) this.issuers.set(i.issuer, new IssuerKeys(i, settings.jwksCooldownMs));
    this.hubKeys = createLocalJWKSet({ keys: [hubPublicJwk] });
  }

  async verify(token: string): Promise<VerifiedToken> {
    const cached = this.verified.get(token);
    if (cached && Date.now() < cached.until) return cached.token;
    if (cached) this.verified.delete(token);
    const verified = await this.verifyNow(token);
    const exp = typeof verified.payload.exp === 'number' ? verified.payload.exp * 1000 + this.settings.clockSkewSeconds * 1000 : 0;
    const nbf = typeof verified.payload.nbf === 'number' ? verified.payload.nbf * 1000 - this.settings.clockSkewSeconds * 1000 : 0;
    // A token not valid yet is checked again each time; a valid one is remembered until it expires or CACHE_MS.
    if (nbf <= Date.now()) {
      if (this.verified.size >= CACHE_SIZE) this.verified.delete(this.verified.keys().next().value!);
      this.verified.set(token, { token: verified, until: Math.min(exp, Date.now() + CACHE_MS) });
    }
    return verified;
  }

  private async verifyNow(token: string): Promise<VerifiedToken> {
    let issuer: string | undefined;
    try {
      issuer = decodeJwt(token).iss;
    } catch {
      throw securityErrors.unauthenticated('The bearer token is not a JWT');
    }
    if (!issuer) throw securityErrors.unauthenticated('The token names no issuer (iss)');
    const fromHub = issuer === this.hubIssuer;
    const source = this.issuers.get(issuer);
    if (!fromHub && !source) throw securityErrors.unauthenticated(`The token's issuer "${issuer}" is not trusted by this hub`);
    let keys: JWTVerifyGetKey;
    try {
      keys = fromHub ? this.hubKeys : await source!.get();
    } catch (err) {
      throw securityErrors.unauthenticated(`The keys of issuer "${issuer}" cannot be obtained: ${(err as Error).message}`);
    }
    try {
      const { payload } = await jwtVerify(token, keys, {
        issuer,
        audience: this.settings.audience,
        clockTolerance: this.settings.clockSkewSeconds,
        algorithms: ALGORITHMS,
        requiredClaims: ['exp'],
      });
      return { issuer, payload: payload as VerifiedToken['payload'], fromHub };
    } catch (err) {
      throw securityErrors.unauthenticated(describeFailure(err, this.settings.audience));
    }
  }
}

function describeFailure(err: unknown, audience: string): string {
  const e = err as { code?: string; claim?: string; message?: string };
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return 'The token has expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.claim === 'nbf') return 'The token is not yet valid (nbf)';
      if (e.claim === 'aud') return `The token is not meant for this hub: its audience (aud) must include "${audience}"`;
      if (e.claim === 'iat') return 'The token was issued in the future (iat)';
      return `The token's "${e.claim}" claim is not acceptable`;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'The token signature does not verify';
    case 'ERR_JWKS_NO_MATCHING_KEY':
      return "No key of the token's issuer matches its key id (kid)";
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return 'The token is signed with an algorithm the hub does not accept';
    case 'ERR_JWKS_TIMEOUT':
      return "The issuer's keys could not be fetched in time";
    default:
      return 'The token is not valid';
  }
}
