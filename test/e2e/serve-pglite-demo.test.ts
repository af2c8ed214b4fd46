// `fhir-hub serve` on the embedded engine (DATA_DIR): the demo territory on first start, DEMO=0,
// health endpoints, data kept across a restart.
import { countOf, getJson, killAll, startHub, tempDir } from './support/hub-process';

jest.setTimeout(120_000);

const dirs: { remove(): void }[] = [];
afterAll(async () => {
  await killAll();
  dirs.forEach((d) => d.remove());
});

function freshDataDir(): string {
  const d = tempDir('pglite');
  dirs.push(d);
  return d.dir;
}

// Organization: the 7 structures and the hub's identity-vigilance queue.
const DEMO_COUNTS: Record<string, number> = { Patient: 30, Practitioner: 15, PractitionerRole: 15, Organization: 8, CareTeam: 30, CarePlan: 30 };

it('loads the demo territory on first start, answers health checks, and keeps data across a restart', async () => {
  const dataDir = freshDataDir();
  // With the packages' conformance resources stored first: they must not make the database look non-empty.
  const hub = await startHub({ DATA_DIR: dataDir, PACKAGE_RESOURCES: 'on' });

  expect(await getJson(`${hub.origin}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
  expect(await getJson(`${hub.origin}/readyz`)).toEqual({ status: 200, body: { status: 'ready' } });
  for (const [type, n] of Object.entries(DEMO_COUNTS)) expect([type, await countOf(hub.origin, type)]).toEqual([type, n]);
  const metadata = await getJson<{ resourceType: string; fhirVersion: string }>(`${hub.origin}/fhir/metadata`);
  expect(metadata.body).toMatchObject({ resourceType: 'CapabilityStatement', fhirVersion: '4.0.1' });

  const created = await fetch(`${hub.origin}/fhir/Patient`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Redémarrage' }] }),
  });
  expect(created.status).toBe(201);
  const location = created.headers.get('location')!;
  const id = /Patient\/([^/]+)\//.exec(location)![1];
  expect(await hub.stop('SIGTERM')).toEqual({ code: 0, signal: null });

  // Second start on the same folder: the data is there, the demo is not loaded a second time.
  const again = await startHub({ DATA_DIR: dataDir, PACKAGE_RESOURCES: 'on' });
  expect(await countOf(again.origin, 'Patient')).toBe(31);
  expect((await getJson(`${again.origin}/fhir/Patient/${id}`)).body).toMatchObject({ name: [{ family: 'Redémarrage' }] });
  const history = await getJson<{ total: number }>(`${again.origin}/fhir/Practitioner/_history?_count=1`);
  expect(history.body.total).toBe(15);
  expect(again.stdout()).not.toMatch(/demo territory loaded/);
  expect(await again.stop('SIGTERM')).toEqual({ code: 0, signal: null });
});

it('skips the demo territory with DEMO=0', async () => {
  const hub = await startHub({ DATA_DIR: freshDataDir(), DEMO: '0' });
  expect((await getJson(`${hub.origin}/readyz`)).status).toBe(200);
  expect(await countOf(hub.origin, 'Patient')).toBe(0);
  expect(await countOf(hub.origin, 'Organization')).toBe(0);
  expect(await hub.stop('SIGTERM')).toEqual({ code: 0, signal: null });
});
