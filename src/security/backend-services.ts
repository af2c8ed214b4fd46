// SMART Backend Services token endpoint: client_credentials with a private_key_jwt assertion (RFC 7523), jti replay refused.
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Queryable } from '../store/db';
import { findClient, useAssertionId, type BackendClient } from '../store/security-store';
import { signHubToken, type HubKey } from './hub-key';
import { parseScope, ScopeSet } from './scopes';
import type { SecuritySettings } from './settings';

export const ASSERTION_TYPE = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
export const ASSERTION_ALGORITHMS = ['RS384', 'ES384', 'RS256', 'ES256'];
/** SMART Backend Services: an assertion's exp is at most five minutes away. */
const MAX_ASSERTION_SECONDS = 300;

export interface OAuthAnswer {
  status: number;
  body: Record<string, unknown>;
}

function oauthError(status: number, error: string, description: string): OAuthAnswer {
  return { status, body: { error, error_description: description } };
}

export class BackendServices {
  private readonly remoteKeys = new Map<string, JWTVerifyGetKey>();

  constructor(
    private readonly db: Queryable,
    private readonly settings: SecuritySettings,
    private readonly hubKey: HubKey,
    private readonly hubIssuer: string,
    readonly tokenUrl: string,
  ) {}

  async token(form: Record<string, string | undefined>): Promise<OAuthAnswer> {
    if (form.grant_type !== 'client_credentials') return oauthError(400, 'unsupported_grant_type', 'This endpoint grants client_credentials only');
    if (form.client_assertion_type !== ASSERTION_TYPE || !form.client_assertion) {
      return oauthError(400, 'invalid_request', `Authenticate with a client_assertion of type ${ASSERTION_TYPE} (private_key_jwt)`);
    }
    let clientId: string | undefined;
    try {
      const claims = decodeJwt(form.client_assertion);
      if (claims.iss !== claims.sub || typeof claims.iss !== 'string') return oauthError(401, 'invalid_client', 'The assertion must have iss = sub = client_id');
      clientId = claims.iss;
    } catch {
      return oauthError(400, 'invalid_request', 'client_assertion is not a JWT');
    }
    const client = await findClient(this.db, clientId);
    if (!client) return oauthError(401, 'invalid_client', `No client "${clientId}" is registered`);
    let exp: number;
    let jti: string;
    try {
      const { payload } = await jwtVerify(form.client_assertion, this.keysOf(client), {
        issuer: clientId,
        subject: clientId,
        audience: this.tokenUrl,
        algorithms: ASSERTION_ALGORITHMS,
        clockTolerance: this.settings.clockSkewSeconds,
        requiredClaims: ['exp', 'jti'],
      });
      exp = payload.exp!;
      jti = payload.jti!;
    } catch (err) {
      return oauthError(401, 'invalid_client', `The client assertion is not valid (${(err as { code?: string }).code ?? 'verification failed'})`);
    }
    if (exp - Date.now() / 1000 > MAX_ASSERTION_SECONDS + this.settings.clockSkewSeconds) {
      return oauthError(401, 'invalid_client', 'The assertion expires more than five minutes from now');
    }
    if (!(await useAssertionId(this.db, clientId, jti, new Date(exp * 1000)))) {
      return oauthError(401, 'invalid_client', 'This assertion (jti) was already used');
    }
    const requested = (form.scope ?? '').split(/\s+/).filter((s) => parseScope(s)?.context === 'system').join(' ');
    const scope = ScopeSet.grantable(requested, client.scope);
    if (!scope) return oauthError(400, 'invalid_scope', `None of the requested scopes is granted to ${clientId}; it may have: ${client.scope}`);
    const lifetime = this.settings.tokenLifetimeSeconds;
    const accessToken = await signHubToken(this.hubKey, this.hubIssuer, this.settings.audience, lifetime, {
      subject: clientId,
      scope,
      extra: { client_id: clientId },
    });
    return { status: 200, body: { access_token: accessToken, token_type: 'bearer', expires_in: lifetime, scope } };
  }

  private keysOf(client: BackendClient): JWTVerifyGetKey {
    if (client.jwks) return createLocalJWKSet(JSON.parse(client.jwks) as JSONWebKeySet);
    let keys = this.remoteKeys.get(client.jwksUri!);
    if (!keys) {
      keys = createRemoteJWKSet(new URL(client.jwksUri!), { cooldownDuration: this.settings.jwksCooldownMs, timeoutDuration: 5000 });
      this.remoteKeys.set(client.jwksUri!, keys);
    }
    return keys;
  }
}
