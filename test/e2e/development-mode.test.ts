// Issue 5, development mode as `npm start` runs it: the hub is its own issuer, its key made in the data folder on
// the first start, the banner says how to get a token, `fhir-hub token` prints one the hub accepts; AUTH=off is
// refused on an address others can reach and warned about on loopback.
import fs from 'node:fs';
import path from 'node:path';
import { freePort, killAll, runCli, startHub, tempDir } from './support/hub-process';

jest.setTimeout(120_000);

const GP = '19999900012'; // a GP of the demo territory (README)
const data = tempDir('devmode');
afterAll(async () => {
  await killAll();
  data.remove();
});

async function total(origin: string, token?: string): Promise<{ status: number; total?: number }> {
  const res = await fetch(`${origin}/fhir/Patient?_summary=count`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const body = (await res.json()) as { total?: number; resourceType: string };
  return { status: res.status, total: body.total };
}

test('a first start makes the key in DATA_DIR/security and says how to get a token; the tokens it prints work', async () => {
  const hub = await startHub({ DATA_DIR: data.dir, AUTH: 'on' });
  expect(fs.existsSync(path.join(data.dir, 'security', 'hub-signing-key.json'))).toBe(true);
  expect(hub.stdout()).toContain('token --practitioner <RPPS>');
  const env = { DATA_DIR: data.dir, AUTH: 'on', BASE_URL: `${hub.origin}/fhir` };
  const gp = await runCli(['token', '--practitioner', GP], env, 30_000);
  const system = await runCli(['token', '--client', 'my-ehr', '--scope', 'system/*.rs'], env, 30_000);
  expect([gp.code, system.code]).toEqual([0, 0]);

  expect(await total(hub.origin)).toEqual({ status: 401, total: undefined });
  const all = await total(hub.origin, system.stdout.trim());
  expect(all).toEqual({ status: 200, total: 30 });
  // The GP sees the patients they care for, not the territory.
  const theirs = await total(hub.origin, gp.stdout.trim());
  expect(theirs.status).toBe(200);
  expect(theirs.total).toBeGreaterThan(0);
  expect(theirs.total).toBeLessThan(30);
  expect(await hub.stop('SIGTERM')).toEqual({ code: 0, signal: null });
});

test('AUTH=off is refused on a non-loopback address, and warned about at every start on loopback', async () => {
  const refused = await runCli(['serve'], { DATA_DIR: data.dir, AUTH: 'off', HOST: '0.0.0.0', PORT: String(await freePort()) }, 60_000);
  expect(refused.code).not.toBe(0);
  expect(refused.stdout + refused.stderr).toMatch(/AUTH=off is refused on HOST=0\.0\.0\.0/);

  const open = await startHub({ DATA_DIR: data.dir, AUTH: 'off' });
  expect(open.stdout()).toMatch(/AUTH=off: no authentication/);
  expect(await total(open.origin)).toEqual({ status: 200, total: 30 });
  expect(await open.stop('SIGTERM')).toEqual({ code: 0, signal: null });
});
