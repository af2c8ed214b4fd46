// `fhir-hub clients add|list|remove`: SMART Backend Services clients in security_client, checked on the way in,
// usable at once by the token endpoint, and the command itself run as a process.
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { clientsAdd, clientsList, clientsRemove } from '../../src/cli/clients';
import { clientFiness } from '../../src/store/client-finess';
import { openPglite } from '../../src/store/pglite';
import { findClient } from '../../src/store/security-store';
import { startSecureHub, TestIssuer } from '../support/security';
import type { TestHub } from '../support/test-hub';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-clients-'));
let t: TestHub;
let issuer: TestIssuer;
let lines: string[];
const out = (line: string) => lines.push(line);

async function keyFiles(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('ES384', { extractable: true });
  const pub = path.join(dir, `${kid}.public.json`);
  const priv = path.join(dir, `${kid}.private.json`);
  fs.writeFileSync(pub, JSON.stringify({ keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES384' }] }));
  fs.writeFileSync(priv, JSON.stringify({ keys: [{ ...(await exportJWK(privateKey)), kid, alg: 'ES384' }] }));
  return { pub, priv, privateKey };
}

beforeAll(async () => {
  ({ issuer } = await TestIssuer.withKey());
  t = await startSecureHub(issuer);
});
beforeEach(() => (lines = []));
afterAll(async () => {
  await t.close();
  await issuer.stop();
  fs.rmSync(dir, { recursive: true, force: true });
});

test('a client added with a JWKS file gets tokens from the hub for the scopes registered', async () => {
  const { pub, privateKey } = await keyFiles('his-key');
  await clientsAdd(t.ctx.db, 'his-2', { scope: 'system/Patient.rs  system/Observation.cruds', jwks: pub, organization: 'finess-1' }, out);
  expect(lines[0]).toBe('registered his-2: scope "system/Patient.rs system/Observation.cruds", keys inline (his-key)');
  expect((await findClient(t.ctx.db, 'his-2'))?.organization).toBe('finess-1');
  const tokenUrl = 'http://localhost:8080/auth/token';
  const assertion = await new SignJWT({ jti: randomUUID() }).setProtectedHeader({ alg: 'ES384', kid: 'his-key' }).setIssuer('his-2').setSubject('his-2').setAudience(tokenUrl).setExpirationTime('4m').sign(privateKey);
  const res = await t.api.post('/auth/token').type('form').send({ grant_type: 'client_credentials', scope: 'system/Patient.rs', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion });
  expect(res.status).toBe(200);
  expect(res.body.scope).toBe('system/Patient.rs');
});

test('list shows every client with its keys; remove takes it away, and its assertions with it', async () => {
  await clientsAdd(t.ctx.db, 'cpts-tool', { scope: 'system/*.rs', jwksUri: 'https://cpts.example.fr/jwks.json' }, out);
  lines = [];
  await clientsList(t.ctx.db, out);
  expect(lines.find((l) => l.startsWith('cpts-tool\t'))).toMatch(/^cpts-tool\tscope: system\/\*\.rs\tjwks_uri: https:\/\/cpts\.example\.fr\/jwks\.json\tsince /);
  expect(lines.find((l) => l.startsWith('his-2\t'))).toContain('jwks: his-key\torganization: finess-1');
  await clientsRemove(t.ctx.db, 'cpts-tool', out);
  expect(await findClient(t.ctx.db, 'cpts-tool')).toBeUndefined();
  await expect(clientsRemove(t.ctx.db, 'cpts-tool', out)).rejects.toThrow('No client cpts-tool is registered');
});

test('registrations that would be unsafe or unusable are refused with a reason', async () => {
  const { pub, priv } = await keyFiles('k2');
  const add = (id: string, opts: Parameters<typeof clientsAdd>[2]) => clientsAdd(t.ctx.db, id, opts, out);
  await expect(add('x', { scope: 'system/*.rs', jwks: priv })).rejects.toThrow('private or secret members (d)');
  await expect(add('x', { scope: 'system/*.rs', jwks: pub, jwksUri: 'https://a.fr/jwks' })).rejects.toThrow('one of them');
  await expect(add('x', { scope: 'system/*.rs' })).rejects.toThrow('one of them');
  await expect(add('x', { scope: 'user/*.rs', jwks: pub })).rejects.toThrow('"user/*.rs" is not a system/ scope');
  await expect(add('x', { scope: 'system/*.rs', jwksUri: 'http://keys.example.fr/jwks' })).rejects.toThrow('must be https');
  await expect(add('bad id', { scope: 'system/*.rs', jwks: pub })).rejects.toThrow('not a usable client id');
  fs.writeFileSync(path.join(dir, 'nokid.json'), JSON.stringify({ keys: [{ ...JSON.parse(fs.readFileSync(pub, 'utf8')).keys[0], kid: undefined }] }));
  await expect(add('x', { scope: 'system/*.rs', jwks: path.join(dir, 'nokid.json') })).rejects.toThrow('needs a "kid"');
  // An id already taken is changed only when asked.
  await expect(add('his-2', { scope: 'system/*.rs', jwks: pub })).rejects.toThrow('--replace');
  await add('his-2', { scope: 'system/Patient.rs', jwks: pub, replace: true });
  expect((await findClient(t.ctx.db, 'his-2'))?.scope).toBe('system/Patient.rs');
  expect(await findClient(t.ctx.db, 'x')).toBeUndefined();
});

test('the fhir-hub command: clients add on a data folder, exit 1 with a message on refusal', async () => {
  const { pub } = await keyFiles('cli-key');
  const env = { ...process.env, DATA_DIR: path.join(dir, 'data'), DATABASE_URL: '', LOG_LEVEL: 'error' };
  // Generous timeouts: each run compiles the CLI and opens PGlite, which takes long on a loaded machine.
  const run = (...args: string[]) => spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts'), 'clients', ...args], { env, encoding: 'utf8', timeout: 170_000 });
  const added = run('add', 'ehr-1', '--scope', 'system/Patient.rs', '--jwks', pub);
  expect(added.stdout).toContain('registered ehr-1');
  expect(added.status).toBe(0);
  const refused = run('add', 'ehr-1', '--scope', 'system/Patient.rs', '--jwks', pub);
  expect(refused.status).toBe(1);
  expect(refused.stderr).toContain('fhir-hub clients: Client ehr-1 is already registered; add --replace to change it');
  // What the process stored, read in process (list and remove are the same wiring, tested above).
  const db = await openPglite(path.join(dir, 'data'));
  try {
    expect(await findClient(db, 'ehr-1')).toMatchObject({ clientId: 'ehr-1', scope: 'system/Patient.rs' });
  } finally {
    await db.close();
  }
}, 360_000);

test('a hospital system is registered for its FINESS: list shows them, a malformed number is refused', async () => {
  const { pub } = await keyFiles('chu-key');
  await expect(clientsAdd(t.ctx.db, 'chu-dpi', { scope: 'system/DocumentReference.cruds', jwks: pub, finess: ['75071218'] }, out)).rejects.toThrow('--finess takes FINESS numbers');
  expect(await findClient(t.ctx.db, 'chu-dpi')).toBeUndefined();
  lines = [];
  await clientsAdd(t.ctx.db, 'chu-dpi', { scope: 'system/DocumentReference.cruds system/Communication.cruds', jwks: pub, finess: ['750712184', '2A0000018'] }, out);
  expect(lines[0]).toContain('writes documents and communications for FINESS 750712184, 2A0000018 only');
  expect(await clientFiness(t.ctx.db, 'chu-dpi')).toEqual(['2A0000018', '750712184']);
  lines = [];
  await clientsList(t.ctx.db, out);
  expect(lines.find((l) => l.startsWith('chu-dpi\t'))).toContain('finess: 2A0000018, 750712184');
});
