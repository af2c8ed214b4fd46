// The hub's own signing key (RFC 7517 JWK) for the tokens it issues: SMART Backend Services and development tokens.
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, SignJWT, type JWK, type KeyLike } from 'jose';

export const HUB_KEY_ALG = 'ES256';

export interface HubKey {
  kid: string;
  privateKey: KeyLike | Uint8Array;
  publicJwk: JWK;
}

/** Reads the key from `file`, generating it on first use (mode 0600: only the hub's user may read it). */
export async function loadOrCreateHubKey(file: string): Promise<HubKey> {
  let jwk: JWK;
  if (fs.existsSync(file)) {
    jwk = JSON.parse(fs.readFileSync(file, 'utf8')) as JWK;
  } else {
    const { privateKey } = await generateKeyPair(HUB_KEY_ALG, { extractable: true });
    jwk = await exportJWK(privateKey);
    jwk.kid = await calculateJwkThumbprint(jwk);
    jwk.alg = HUB_KEY_ALG;
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(jwk), { mode: 0o600 });
    // Two processes starting together: the first rename wins and both read the same key afterwards.
    if (!fs.existsSync(file)) fs.renameSync(tmp, file);
    else fs.rmSync(tmp, { force: true });
    jwk = JSON.parse(fs.readFileSync(file, 'utf8')) as JWK;
  }
  const { d: _d, ...publicJwk } = jwk;
  const kid = jwk.kid ?? (await calculateJwkThumbprint(publicJwk));
  return { kid, privateKey: await importJWK(jwk, HUB_KEY_ALG), publicJwk: { ...publicJwk, kid, alg: HUB_KEY_ALG, use: 'sig' } };
}

export interface HubTokenClaims {
  subject: string;
  scope: string;
  /** Any further claims, e.g. the professional's national identifier. */
  extra?: Record<string, unknown>;
}

/** Signs an access token of the hub: iss = the hub, aud = its audience, short-lived. */
export async function signHubToken(key: HubKey, issuer: string, audience: string, lifetimeSeconds: number, claims: HubTokenClaims): Promise<string> {
  return new SignJWT({ ...claims.extra, scope: claims.scope })
    .setProtectedHeader({ alg: HUB_KEY_ALG, kid: key.kid, typ: 'at+jwt' })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(claims.subject)
    .setIssuedAt()
    .setJti(randomUUID())
    .setExpirationTime(`${lifetimeSeconds}s`)
    .sign(key.privateKey);
}
