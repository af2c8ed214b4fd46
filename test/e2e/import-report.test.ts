// `fhir-hub import` tells what failed: a line per file, failures on stderr, a summary, exit code 1;
// a failed transaction file leaves nothing behind, and the good files are imported all the same.
import fs from 'node:fs';
import path from 'node:path';
import { killAll, runCli, tempDir } from './support/hub-process';
import { createEmptyPostgresDb, type EmptyPostgresDb } from './support/postgres-db';

jest.setTimeout(90_000);

let db: EmptyPostgresDb;
const files = tempDir('import-report');
beforeAll(async () => (db = await createEmptyPostgresDb()));
afterAll(async () => {
  await killAll();
  await db?.drop();
  files.remove();
});

const patient = (family: string, extra: Record<string, unknown> = {}) => ({ resourceType: 'Patient', name: [{ family }], ...extra });
const transaction = (...resources: unknown[]) => ({
  resourceType: 'Bundle',
  type: 'transaction',
  entry: resources.map((resource) => ({ resource, request: { method: 'POST', url: 'Patient' } })),
});

it('reports each file, lists the failures, and exits 1', async () => {
  const write = (name: string, text: string) => fs.writeFileSync(path.join(files.dir, name), text);
  write('a-good.json', JSON.stringify(transaction(patient('Martin'), patient('Bernard'))));
  // Its second entry has a birthDate that is not a date: the whole transaction is refused.
  write('b-invalid-entry.json', JSON.stringify(transaction(patient('Thomas'), patient('Petit', { birthDate: 'hier' }))));
  write('c-not-json.json', '{"resourceType": "Bundle", ');
  write('d-good.ndjson', [patient('Robert'), patient('Richard'), patient('Durand')].map((p) => JSON.stringify(p)).join('\n'));
  write('notes.txt', 'not FHIR, not imported');

  const run = await runCli(['import', files.dir], { DATABASE_URL: db.url, LOG_LEVEL: 'warn' }, 60_000);
  expect(run.code).toBe(1);
  const lines = run.stdout.trim().split('\n');
  expect(lines).toHaveLength(5);
  expect(lines[0]).toMatch(/a-good\.json: 2 resources$/);
  expect(lines[1]).toMatch(/b-invalid-entry\.json: 0 resources, 1 failures$/);
  expect(lines[2]).toMatch(/c-not-json\.json: 0 resources, 1 failures$/);
  expect(lines[3]).toMatch(/d-good\.ndjson: 3 resources$/);
  expect(lines[4]).toMatch(/^imported 5 resources from 4 files in [\d.]+ s \(\d+ resources\/s\); 2 files with failures$/);
  expect(run.stderr).toMatch(/b-invalid-entry\.json: 1 failures\n {2}bundle: .*birthDate/);
  expect(run.stderr).toMatch(/c-not-json\.json: 1 failures\n {2}file: .*JSON/);

  const families = await db.query<{ family: string }>("SELECT content::jsonb #>> '{name,0,family}' AS family FROM resource ORDER BY 1");
  expect(families.map((r) => r.family)).toEqual(['Bernard', 'Durand', 'Martin', 'Richard', 'Robert']);
});

it('exits 1 when there is nothing to import', async () => {
  const empty = tempDir('import-empty');
  try {
    const run = await runCli(['import', empty.dir], { DATABASE_URL: db.url, LOG_LEVEL: 'warn' }, 60_000);
    expect({ code: run.code, stderr: run.stderr.trim() }).toEqual({ code: 1, stderr: `no .json, .ndjson or .bz2 files in ${empty.dir}` });
  } finally {
    empty.remove();
  }
});
