// Security test kit: an OpenID issuer with real keys and a JWKS served on 127.0.0.1, signed tokens, internal seeding.
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import type { AuditEvent, Resource } from '@medplum/fhirtypes';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type KeyLike } from 'jose';
import { newRequest } from '../../src/fhir/request';
import { dispatch } from '../../src/fhir/router';
import { renderAuditEvent } from '../../src/security/audit-event';
import { searchAuditLog } from '../../src/store/audit-log';
import { BASE, startTestHub, type TestHub } from './test-hub';

export interface TestKey {
  kid: string;
  privateKey: KeyLike;
  publicJwk: JWK;
}

export async function makeKey(kid: string, alg = 'RS256'): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** An issuer whose JWKS is served over HTTP; keys can be added to simulate a rotation. */
export class TestIssuer {
  readonly keys: TestKey[] = [];
  private server?: http.Server;
  url = '';
  jwksFetches = 0;

  /** A started issuer holding one signing key (kid k1), the usual start of a security test. */
  static async withKey(): Promise<{ issuer: TestIssuer; key: TestKey }> {
    const issuer = new TestIssuer();
    await issuer.start();
    const key = await makeKey('k1');
    issuer.keys.push(key);
    return { issuer, key };
  }

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      if (req.url === '/jwks') {
        this.jwksFetches++;
        res.setHeader('Content-Type', 'application/json');
        res.end(JSON.stringify({ keys: this.keys.map((k) => k.publicJwk) }));
      } else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get issuer(): string {
    return `${this.url}/realm`;
  }

  setting(): string {
    return JSON.stringify([{ issuer: this.issuer, jwks_uri: `${this.url}/jwks` }]);
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}

export interface TokenSpec {
  key: TestKey;
  issuer: string;
  audience?: string;
  scope?: string;
  /** The professional's idNat_PS (preferred_username claim). */
  professional?: string;
  /** Seconds from now; negative for the past. */
  expiresIn?: number;
  notBefore?: number;
  extra?: Record<string, unknown>;
}

export async function signToken(spec: TokenSpec): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const claims: Record<string, unknown> = { scope: spec.scope ?? 'user/*.cruds', ...spec.extra };
  if (spec.professional) claims.preferred_username = spec.professional;
  const jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: spec.key.publicJwk.alg!, kid: spec.key.kid })
    .setIssuer(spec.issuer)
    .setAudience(spec.audience ?? BASE)
    .setSubject(spec.professional ?? 'client-1')
    .setIssuedAt(now - 5)
    .setExpirationTime(now + (spec.expiresIn ?? 300));
  if (spec.notBefore !== undefined) jwt.setNotBefore(now + spec.notBefore);
  return jwt.sign(spec.key.privateKey);
}

/** A hub with authentication and audit on, trusting `issuer`. */
export function startSecureHub(issuer: TestIssuer, env: NodeJS.ProcessEnv = {}): Promise<TestHub> {
  return startTestHub({
    AUTH: 'on',
    AUDIT: 'on',
    OIDC_ISSUERS: issuer.setting(),
    JWKS_COOLDOWN_MS: '0',
    HUB_SIGNING_KEY_FILE: path.join(os.tmpdir(), `fhir-hub-test-key-${process.pid}-${Date.now()}.json`),
    ...env,
  });
}

/** Stores resources as the hub's own work (no caller: no access check, no audit), ids as given. */
export async function seedInternal(t: TestHub, resources: Resource[]): Promise<void> {
  const body = {
    resourceType: 'Bundle',
    type: 'transaction',
    entry: resources.map((r) => ({ resource: r, request: { method: 'PUT', url: `${r.resourceType}/${r.id}` } })),
  };
  const out = await dispatch(t.ctx, newRequest('POST', [], { body }));
  if (out.status !== 200) throw new Error(`seed failed: ${out.status}`);
}

export const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
export const RPPS = 'https://rpps.esante.gouv.fr';

/** A Practitioner a token's professional maps to: `nationalId` is the idNat_PS (8 + RPPS). */
export const practitioner = (id: string, nationalId: string): Resource => ({ resourceType: 'Practitioner', id, identifier: [{ system: RPPS, value: nationalId.slice(1) }] });

/** Every AuditEvent of the audit log, in the order written, after the queued ones are flushed. */
export async function storedAuditEvents(t: TestHub): Promise<AuditEvent[]> {
  await t.hub.security.trail.flush();
  const { rows } = await searchAuditLog(t.ctx.db, { criteria: [], count: 1_000_000, offset: 0, withCount: false, withPage: true });
  return rows.map((r) => (r.legacyContent ? (JSON.parse(r.legacyContent) as AuditEvent) : renderAuditEvent(r.entry, r.id, t.ctx.config.baseUrl)));
}
