// `fhir-hub import` of the 122 Synthea bundles (92 114 resources) on PostgreSQL: no failure, a report
// per file and a summary on stdout, and every resource countable through the FHIR API afterwards.
import fs from 'node:fs';
import { SYNTHEA_DIR, countOf, killAll, runCli, startHub } from './support/hub-process';
import { createEmptyPostgresDb, type EmptyPostgresDb } from './support/postgres-db';

jest.setTimeout(240_000);

// Counted from the bundles: the hospital and practitioner batches, then one transaction per patient.
const EXPECTED: Record<string, number> = {
  Observation: 42_929,
  Claim: 9_856,
  DiagnosticReport: 8_229,
  MedicationRequest: 5_087,
  Encounter: 4_769,
  DocumentReference: 4_769,
  ExplanationOfBenefit: 4_769,
  Procedure: 3_608,
  SupplyDelivery: 1_886,
  Immunization: 1_616,
  Condition: 1_597,
  CareTeam: 540,
  CarePlan: 540,
  Medication: 326,
  MedicationAdministration: 326,
  PractitionerRole: 195,
  Practitioner: 195,
  Location: 194,
  Organization: 194,
  ImagingStudy: 145,
  Patient: 120,
  Provenance: 120,
  AllergyIntolerance: 76,
  Device: 28,
};

let db: EmptyPostgresDb;
beforeAll(async () => (db = await createEmptyPostgresDb()));
afterAll(async () => {
  await killAll();
  await db?.drop();
});

it('imports the 122 Synthea bundles with 0 failures', async () => {
  expect(Object.values(EXPECTED).reduce((a, b) => a + b, 0)).toBe(92_114);
  const files = fs.readdirSync(SYNTHEA_DIR).filter((f) => f.endsWith('.json.bz2'));
  expect(files).toHaveLength(122);

  const run = await runCli(['import', SYNTHEA_DIR], { DATABASE_URL: db.url, LOG_LEVEL: 'warn' }, 200_000);
  expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: '' });
  const lines = run.stdout.trim().split('\n');
  for (const f of files) expect(lines.some((l) => l.includes(f) && /\d+ resources/.test(l))).toBe(true);
  expect(lines[lines.length - 1]).toMatch(/^imported 92114 resources from 122 files in [\d.]+ s \(\d+ resources\/s\); 0 files with failures$/);

  const byType = await db.query<{ res_type: string; n: number }>('SELECT res_type, count(*)::int AS n FROM resource GROUP BY res_type');
  expect(Object.fromEntries(byType.map((r) => [r.res_type, r.n]))).toEqual(EXPECTED);
  // One history row and one outbox event per resource: each write recorded everything.
  const [hist] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource_history');
  const [events] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM outbox');
  expect([hist.n, events.n]).toEqual([92_114, 92_114]);

  // A client sees the same through the API, and references between bundles were resolved.
  const hub = await startHub({ DATABASE_URL: db.url, DEMO: '0' });
  for (const type of ['Patient', 'Practitioner', 'Observation', 'Encounter']) expect([type, await countOf(hub.origin, type)]).toEqual([type, EXPECTED[type]]);
  const [unresolved] = await db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM resource WHERE content LIKE '%\"reference\":\"urn:uuid:%' OR content LIKE '%\"reference\":\"Practitioner?%'",
  );
  expect(unresolved.n).toBe(0);
  expect(await hub.stop()).toEqual({ code: 0, signal: null });
});
