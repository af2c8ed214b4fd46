// Bearer tokens (RFC 6750, SMART App Launch v2): real signed tokens against a JWKS served on 127.0.0.1.
import type { TestHub } from '../support/test-hub';
import { auth, makeKey, RPPS, seedInternal, signToken, startSecureHub, TestIssuer, type TestKey } from '../support/security';

const PRO = '810000000001';
let issuer: TestIssuer;
let key: TestKey;
let t: TestHub;

beforeAll(async () => {
  ({ issuer, key } = await TestIssuer.withKey());
  t = await startSecureHub(issuer, { CORS_ORIGINS: 'https://app.example' });
  await seedInternal(t, [
    { resourceType: 'Practitioner', id: 'pro', identifier: [{ system: RPPS, value: PRO.slice(1) }] },
    { resourceType: 'Patient', id: 'pat', generalPractitioner: [{ reference: 'Practitioner/pro' }] },
  ]);
});
afterAll(async () => {
  await t.close();
  await issuer.stop();
});

function expectOutcome(res: { body: { resourceType?: string; issue?: unknown[] } }, code: string) {
  expect(res.body.resourceType).toBe('OperationOutcome');
  expect(res.body.issue).toEqual(expect.arrayContaining([expect.objectContaining({ code })]));
}

const valid = () => signToken({ key, issuer: issuer.issuer, professional: PRO });

test('a valid token reads; no token, or a malformed header, is 401 with a Bearer challenge', async () => {
  expect((await t.api.get('/fhir/Patient/pat').set(auth(await valid()))).status).toBe(200);
  const none = await t.api.get('/fhir/Patient/pat');
  expect(none.status).toBe(401);
  expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
  expectOutcome(none, 'login');
  const basic = await t.api.get('/fhir/Patient/pat').set('Authorization', 'Basic dXNlcjpwYXNz');
  expect(basic.status).toBe(401);
});

test.each([
  ['expired', { expiresIn: -120 }, /expired/],
  ['not yet valid', { notBefore: 600 }, /not yet valid/],
  ['for another audience', { audience: 'https://other-hub.example/fhir' }, /audience/],
])('a token %s is 401', async (_name, spec, message) => {
  const token = await signToken({ key, issuer: issuer.issuer, professional: PRO, ...spec });
  const res = await t.api.get('/fhir/Patient/pat').set(auth(token));
  expect(res.status).toBe(401);
  expectOutcome(res, 'login');
  expect(res.body.issue[0].diagnostics).toMatch(message);
});

test('a small clock skew is tolerated: a token expired 10 s ago still passes', async () => {
  const token = await signToken({ key, issuer: issuer.issuer, professional: PRO, expiresIn: -10 });
  expect((await t.api.get('/fhir/Patient/pat').set(auth(token))).status).toBe(200);
});

test('an untrusted issuer, a tampered signature and an unknown kid are 401', async () => {
  const stranger = await signToken({ key, issuer: 'https://evil.example/realm', professional: PRO });
  const r1 = await t.api.get('/fhir/Patient/pat').set(auth(stranger));
  expect(r1.status).toBe(401);
  expect(r1.body.issue[0].diagnostics).toMatch(/not trusted/);

  const [h, p, s] = (await valid()).split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  claims.preferred_username = '810000000099';
  const tampered = `${h}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${s}`;
  const r2 = await t.api.get('/fhir/Patient/pat').set(auth(tampered));
  expect(r2.status).toBe(401);
  expect(r2.body.issue[0].diagnostics).toMatch(/signature/);

  const rogue = await makeKey('rogue');
  const r3 = await t.api.get('/fhir/Patient/pat').set(auth(await signToken({ key: rogue, issuer: issuer.issuer, professional: PRO })));
  expect(r3.status).toBe(401);
  expect(r3.body.issue[0].diagnostics).toMatch(/kid/);
});

test('a key added to the JWKS is fetched when a token names its kid (key rotation)', async () => {
  const rotated = await makeKey('k2', 'ES256');
  const before = issuer.jwksFetches;
  issuer.keys.push(rotated);
  const res = await t.api.get('/fhir/Patient/pat').set(auth(await signToken({ key: rotated, issuer: issuer.issuer, professional: PRO })));
  expect(res.status).toBe(200);
  expect(issuer.jwksFetches).toBeGreaterThan(before);
});

test('a scope that does not cover the interaction is 403 naming the scope needed', async () => {
  const token = await signToken({ key, issuer: issuer.issuer, professional: PRO, scope: 'user/Observation.rs' });
  const res = await t.api.get('/fhir/Patient/pat').set(auth(token));
  expect(res.status).toBe(403);
  expectOutcome(res, 'forbidden');
  expect(res.body.issue[0].diagnostics).toMatch(/user\/Patient\.r/);
  // v1 scopes are understood: patient read through user/Patient.read.
  const v1 = await signToken({ key, issuer: issuer.issuer, professional: PRO, scope: 'user/Patient.read' });
  expect((await t.api.get('/fhir/Patient/pat').set(auth(v1))).status).toBe(200);
  expect((await t.api.delete('/fhir/Patient/pat').set(auth(v1))).status).toBe(403);
});

test('an unknown professional is 403 with a message that says so', async () => {
  const token = await signToken({ key, issuer: issuer.issuer, professional: '899999999999' });
  const res = await t.api.get('/fhir/Patient/pat').set(auth(token));
  expect(res.status).toBe(403);
  expect(res.body.issue[0].diagnostics).toMatch(/899999999999 is not known to this hub/);
});

test('metadata and SMART discovery need no token', async () => {
  expect((await t.api.get('/fhir/metadata')).status).toBe(200);
  const smart = await t.api.get('/fhir/.well-known/smart-configuration');
  expect(smart.status).toBe(200);
  expect(smart.body.token_endpoint).toBe('http://localhost:8080/auth/token');
  expect(smart.body.grant_types_supported).toEqual(['client_credentials']);
  expect(smart.body.capabilities).toContain('permission-v2');
});

test('security headers on every answer; CORS for the configured origin only', async () => {
  const res = await t.api.get('/fhir/metadata').set('Origin', 'https://app.example');
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['content-security-policy']).toContain("default-src 'none'");
  expect(res.headers['access-control-allow-origin']).toBe('https://app.example');
  const other = await t.api.get('/fhir/metadata').set('Origin', 'https://elsewhere.example');
  expect(other.headers['access-control-allow-origin']).toBeUndefined();
  const preflight = await t.api.options('/fhir/Patient').set('Origin', 'https://app.example').set('Access-Control-Request-Method', 'POST');
  expect(preflight.status).toBe(204);
  expect(preflight.headers['access-control-allow-headers']).toContain('Authorization');
});

test('requests beyond the rate limit of a client get 429 with an OperationOutcome', async () => {
  const limited = await startSecureHub(issuer, { RATE_LIMIT_PER_MINUTE: '3' });
  try {
    await seedInternal(limited, [{ resourceType: 'Practitioner', id: 'pro', identifier: [{ system: RPPS, value: PRO.slice(1) }] }]);
    const token = await valid();
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await limited.api.get('/fhir/Practitioner/pro').set(auth(token))).status);
    expect(statuses).toEqual([200, 200, 200, 429]);
    const res = await limited.api.get('/fhir/Practitioner/pro').set(auth(token));
    expectOutcome(res, 'throttled');
  } finally {
    await limited.close();
  }
});
