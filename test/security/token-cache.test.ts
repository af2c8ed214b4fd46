// The verified-token cache never outlives a token: exp is honoured on every request.
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { TokenVerifier } from '../../src/security/verify-token';
import type { SecuritySettings } from '../../src/security/settings';

const ISSUER = 'https://hub.test/fhir';
const AUDIENCE = 'https://hub.test/fhir';

async function setup() {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256' };
  const settings = { issuers: [], audience: AUDIENCE, clockSkewSeconds: 0, jwksCooldownMs: 0 } as unknown as SecuritySettings;
  const verifier = new TokenVerifier(settings, ISSUER, jwk);
  const sign = (seconds: number) =>
    new SignJWT({ scope: 'system/*.rs' })
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + seconds)
      .sign(privateKey);
  return { verifier, sign };
}

it('answers a repeated token from the cache, and refuses it once it has expired', async () => {
  const { verifier, sign } = await setup();
  const token = await sign(1);
  const first = await verifier.verify(token);
  expect(await verifier.verify(token)).toBe(first);
  await new Promise((r) => setTimeout(r, 2100));
  await expect(verifier.verify(token)).rejects.toThrow(/expired/);
});

it('does not cache a refusal: a tampered token is refused every time', async () => {
  const { verifier, sign } = await setup();
  const token = await sign(60);
  const tampered = token.slice(0, -4) + (token.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  await expect(verifier.verify(tampered)).rejects.toThrow();
  await expect(verifier.verify(tampered)).rejects.toThrow();
  await expect(verifier.verify(token)).resolves.toBeDefined();
});
