// The deployment shape of docker/compose.yaml: two hub processes on one PostgreSQL database, started
// together on an empty database. Migrations run once (advisory lock), the demo territory is loaded
// once, both serve, and a write through one is read through the other.
import { listMigrations } from '../../src/store/migrate';
import { countOf, getJson, killAll, startHub } from './support/hub-process';
import { createEmptyPostgresDb, type EmptyPostgresDb } from './support/postgres-db';

jest.setTimeout(120_000);

let db: EmptyPostgresDb;
beforeAll(async () => (db = await createEmptyPostgresDb()));
afterAll(async () => {
  await killAll();
  await db?.drop();
});

it('two replicas start together on an empty database and both serve', async () => {
  const env = { DATABASE_URL: db.url, PACKAGE_RESOURCES: 'on' };
  const [a, b] = await Promise.all([startHub(env), startHub(env)]);

  const applied = await db.query<{ version: number }>('SELECT version FROM schema_migration ORDER BY version');
  expect(applied.map((m) => Number(m.version))).toEqual(listMigrations().map((m) => m.version));
  for (const hub of [a, b]) {
    expect((await getJson(`${hub.origin}/readyz`)).status).toBe(200);
    expect(await countOf(hub.origin, 'Patient')).toBe(30);
    expect(await countOf(hub.origin, 'Practitioner')).toBe(15);
  }
  // Loaded once: one version of each demo resource, and no replica saw its load fail.
  const [versions] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM resource_history WHERE res_type = 'Patient'");
  expect(versions.n).toBe(30);
  expect(a.stdout() + b.stdout()).not.toMatch(/failures|"level":50/);
  // The packages' conformance resources were stored once too, and both replicas serve them.
  const [packageRows] = await db.query<{ n: number }>("SELECT count(*)::int AS n FROM resource_history WHERE content LIKE '%\"source\":\"package:%'");
  const [declared] = await db.query<{ n: number }>('SELECT sum(resources)::int AS n FROM loaded_package');
  expect(packageRows.n).toBe(declared.n);
  expect(declared.n).toBeGreaterThan(500);
  expect(await countOf(a.origin, 'StructureDefinition')).toBe(await countOf(b.origin, 'StructureDefinition'));

  const created = await fetch(`${a.origin}/fhir/Organization`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Organization', name: 'MSP des Deux Répliques' }),
  });
  expect(created.status).toBe(201);
  const id = /Organization\/([^/]+)\//.exec(created.headers.get('location')!)![1];
  expect((await getJson(`${b.origin}/fhir/Organization/${id}`)).body).toMatchObject({ name: 'MSP des Deux Répliques' });

  expect(await Promise.all([a.stop(), b.stop()])).toEqual([
    { code: 0, signal: null },
    { code: 0, signal: null },
  ]);
});
