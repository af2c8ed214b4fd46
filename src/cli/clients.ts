// `fhir-hub clients add|list|remove`: SMART Backend Services clients (SMART App Launch v2 §Backend Services, RFC 7517 JWKS).
import { readFileSync } from 'node:fs';
import { importJWK, type JWK } from 'jose';
import { parseScope } from '../security/scopes';
import type { Queryable } from '../store/db';
import { clientFiness, setClientFiness } from '../store/client-finess';
import { findClient, listClients, registerClient, removeClient } from '../store/security-store';

export interface ClientAddOptions {
  scope: string;
  /** A file holding the client's public JWKS ({"keys": [...]}) or a single public JWK. */
  jwks?: string;
  jwksUri?: string;
  organization?: string;
  /** FINESS numbers the client writes documents and communications for (docs/security.md); none: no restriction. */
  finess?: string[];
  /** Replace a client registered under the same id. */
  replace?: boolean;
}

/** Printable output, so the commands can be tested without a process. */
export type Out = (line: string) => void;

const CLIENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$/;
// Members that only a private key has (RFC 7518 §6.2.2, §6.3.2, §6.4): a client never hands them over.
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The scopes, each a system/ resource scope (backend services act for no user). */
function checkScopes(scope: string): string {
  const list = scope.split(/\s+/).filter(Boolean);
  if (list.length === 0) throw new Error('--scope needs at least one scope, e.g. "system/Patient.rs system/Observation.cruds"');
  for (const s of list) {
    const parsed = parseScope(s);
    if (!parsed || parsed.context !== 'system') throw new Error(`"${s}" is not a system/ scope (system/<Type or *>.<cruds>); backend services clients act for no user`);
  }
  return list.join(' ');
}

/** Reads and checks a JWKS file: public signing keys only, each with a kid so assertions can name it. */
async function readJwks(file: string): Promise<string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a readable JSON file (${(e as Error).message})`);
  }
  const keys = (parsed as { keys?: unknown }).keys ?? [parsed];
  if (!Array.isArray(keys) || keys.length === 0) throw new Error(`${file}: expected a JWKS {"keys": [...]} with at least one key`);
  for (const key of keys as JWK[]) {
    if (typeof key !== 'object' || key === null || typeof key.kty !== 'string') throw new Error(`${file}: every key needs a "kty"`);
    const secret = PRIVATE_MEMBERS.filter((m) => m in key);
    if (secret.length) throw new Error(`${file}: key ${key.kid ?? '(no kid)'} holds private or secret members (${secret.join(', ')}); register the public key only`);
    if (!key.kid) throw new Error(`${file}: every key needs a "kid", which the client's assertions name`);
    try {
      await importJWK(key, key.alg ?? (key.kty === 'EC' ? 'ES384' : 'RS384'));
    } catch (e) {
      throw new Error(`${file}: key ${key.kid} is not a usable public key (${(e as Error).message})`);
    }
  }
  return JSON.stringify({ keys });
}

function checkJwksUri(uri: string): string {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new Error(`--jwks-uri "${uri}" is not a URL`);
  }
  // Keys fetched in clear could be swapped on the way; plain http only for a key server on this machine.
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) throw new Error(`--jwks-uri must be https (http only on localhost): ${uri}`);
  return url.toString();
}

export async function clientsAdd(db: Queryable, clientId: string, opts: ClientAddOptions, out: Out): Promise<void> {
  if (!CLIENT_ID.test(clientId)) throw new Error(`"${clientId}" is not a usable client id (letters, digits and . _ : @ -, at most 128)`);
  if (Boolean(opts.jwks) === Boolean(opts.jwksUri)) throw new Error('Give the client\'s keys with --jwks <file> or --jwks-uri <url>, one of them');
  const scope = checkScopes(opts.scope);
  const jwks = opts.jwks ? await readJwks(opts.jwks) : undefined;
  const jwksUri = opts.jwksUri ? checkJwksUri(opts.jwksUri) : undefined;
  if (opts.organization !== undefined && !/^[A-Za-z0-9\-.]{1,64}$/.test(opts.organization)) throw new Error(`--organization takes an Organization id, got "${opts.organization}"`);
  // A FINESS is 9 characters: digits, with 2A/2B for Corsica.
  const finess = opts.finess ?? [];
  for (const f of finess) if (!/^(\d{9}|2[AB]\d{7})$/.test(f)) throw new Error(`--finess takes FINESS numbers (9 characters, e.g. 750712184), got "${f}"`);
  const existing = await findClient(db, clientId);
  if (existing && !opts.replace) throw new Error(`Client ${clientId} is already registered; add --replace to change it`);
  await registerClient(db, { clientId, scope, jwks, jwksUri, organization: opts.organization });
  await setClientFiness(db, clientId, finess);
  const only = finess.length ? `, writes documents and communications for FINESS ${finess.join(', ')} only` : '';
  out(`${existing ? 'replaced' : 'registered'} ${clientId}: scope "${scope}", keys ${jwks ? `inline (${(JSON.parse(jwks) as { keys: JWK[] }).keys.map((k) => k.kid).join(', ')})` : `from ${jwksUri}`}${only}`);
}

export async function clientsList(db: Queryable, out: Out): Promise<void> {
  const clients = await listClients(db);
  if (clients.length === 0) return out('no backend services client registered');
  for (const c of clients) {
    const keys = c.jwks ? `jwks: ${(JSON.parse(c.jwks) as { keys: JWK[] }).keys.map((k) => k.kid ?? '?').join(', ')}` : `jwks_uri: ${c.jwksUri}`;
    const finess = await clientFiness(db, c.clientId);
    out([c.clientId, `scope: ${c.scope}`, keys, c.organization ? `organization: ${c.organization}` : undefined, finess.length ? `finess: ${finess.join(', ')}` : undefined, `since ${c.createdAt}`].filter(Boolean).join('\t'));
  }
}

export async function clientsRemove(db: Queryable, clientId: string, out: Out): Promise<void> {
  if (!(await removeClient(db, clientId))) throw new Error(`No client ${clientId} is registered`);
  // Tokens already issued stay valid until they expire (at most TOKEN_LIFETIME_SECONDS, ≤ 5 minutes).
  out(`removed ${clientId}; tokens it already holds expire within 5 minutes`);
}
