// A hub process killed with SIGKILL in the middle of `fhir-hub import` loses no committed transaction
// and leaves no partial one; the hub starts again on that database and serves, and (on PostgreSQL)
// importing the files that are absent completes the set.
import { PGlite } from '@electric-sql/pglite';
import { countOf, killAll, runCli, sleep, startCli, startHub, tempDir, waitForExit, type CliProcess } from './support/hub-process';
import { createEmptyPostgresDb, type EmptyPostgresDb } from './support/postgres-db';
import { BASE_FILES, BASE_RESOURCES, checkAtomicity, patientBundleFiles, type AtomicityReport, type PatientBundleFile, type Query } from './support/synthea-atomicity';

jest.setTimeout(180_000);

const FILES = patientBundleFiles(6);
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  await killAll();
  for (const c of cleanups) await c();
});

async function withPglite<T>(dataDir: string, fn: (query: Query) => Promise<T>): Promise<T> {
  const pg = await PGlite.create({ dataDir });
  try {
    return await fn(async (sql, params) => (await pg.query(sql, params)).rows as never);
  } finally {
    await pg.close();
  }
}

const linesDone = (p: CliProcess) => p.stdout().split('\n').filter((l) => / resources/.test(l)).length;

async function waitFor(what: string, cond: () => Promise<boolean> | boolean, p: CliProcess, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (p.child.exitCode !== null) throw new Error(`import ended before ${what}:\n${p.stdout()}\n${p.stderr()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}:\n${p.stdout()}`);
    await sleep(5);
  }
}

/** What a user checks after the crash: the base files whole, each patient bundle whole or absent. */
async function expectWholeBundles(query: Query, doneBeforeKill: number): Promise<AtomicityReport> {
  const baseTypes = await query<{ n: number }>(
    "SELECT count(*)::int AS n FROM resource WHERE res_type IN ('Organization', 'Location', 'Practitioner', 'PractitionerRole')",
  );
  expect(Number(baseTypes[0].n)).toBe(BASE_RESOURCES);
  const report = await checkAtomicity(query, FILES);
  expect(report.partial).toEqual([]);
  expect(report.orphans).toBe(0);
  // Files reported done were committed; the one in flight may have committed just before the kill.
  expect(report.complete.length).toBeGreaterThanOrEqual(doneBeforeKill - BASE_FILES.length);
  expect(report.complete.length).toBeLessThanOrEqual(doneBeforeKill - BASE_FILES.length + 1);
  expect(report.absent.length).toBeGreaterThan(0);
  return report;
}

async function expectAllComplete(query: Query): Promise<void> {
  const after = await checkAtomicity(query, FILES);
  expect({ complete: after.complete.length, partial: after.partial, orphans: after.orphans }).toEqual({ complete: FILES.length, partial: [], orphans: 0 });
}

/** The hub serves what was committed; importing the absent files again completes the set. */
async function resume(env: Record<string, string>, completeBefore: number, absent: PatientBundleFile[]): Promise<void> {
  const hub = await startHub({ ...env, DEMO: '0' });
  expect(await countOf(hub.origin, 'Patient')).toBe(completeBefore);
  expect(await hub.stop()).toEqual({ code: 0, signal: null });
  const again = await runCli(['import', ...absent.map((f) => f.path)], { ...env, LOG_LEVEL: 'warn' }, 90_000);
  expect({ code: again.code, stderr: again.stderr }).toEqual({ code: 0, stderr: '' });
  expect(again.stdout).toMatch(/; 0 files with failures\n$/);
}

describe('on PostgreSQL', () => {
  let db: EmptyPostgresDb;
  beforeAll(async () => {
    db = await createEmptyPostgresDb();
    cleanups.push(() => db.drop());
  });

  it('SIGKILL while a bundle transaction has written rows', async () => {
    const env = { DATABASE_URL: db.url };
    const imp = startCli(['import', ...BASE_FILES, ...FILES.map((f) => f.path)], { ...env, LOG_LEVEL: 'warn' });
    await waitFor('the base files and a first patient', () => linesDone(imp) >= BASE_FILES.length + 1, imp);
    // A transaction of the import that has written rows (it has an xid) and not committed yet.
    const writing = async () =>
      (await db.query('SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid() AND backend_xid IS NOT NULL', [db.name])).length > 0;
    await waitFor('a transaction in the middle of its writes', writing, imp);
    imp.child.kill('SIGKILL');
    const doneBeforeKill = linesDone(imp);
    expect(await waitForExit(imp, 10_000)).toEqual({ code: null, signal: 'SIGKILL' });
    // PostgreSQL rolls back the dead client's transaction once it sees the connection closed.
    const others = async () => (await db.query('SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [db.name])).length;
    for (let i = 0; i < 200 && (await others()) > 0; i++) await sleep(50);

    const query: Query = (sql, params) => db.query(sql, params);
    const report = await expectWholeBundles(query, doneBeforeKill);
    await resume(env, report.complete.length, report.absent);
    await expectAllComplete(query);
  });
});

describe('on PGlite', () => {
  it('SIGKILL during the import of a patient bundle', async () => {
    const data = tempDir('crash');
    cleanups.push(() => data.remove());
    const env = { DATA_DIR: data.dir };
    const imp = startCli(['import', ...BASE_FILES, ...FILES.map((f) => f.path)], { ...env, LOG_LEVEL: 'warn' });
    await waitFor('the base files and a first patient', () => linesDone(imp) >= BASE_FILES.length + 1, imp, 120_000);
    // No way to look inside the process: the next bundle (2 124 entries) takes seconds, most of them
    // in its transaction, so a kill a second after the previous file finished lands inside it.
    await sleep(1_000);
    imp.child.kill('SIGKILL');
    const doneBeforeKill = linesDone(imp);
    expect(await waitForExit(imp, 10_000)).toEqual({ code: null, signal: 'SIGKILL' });

    // The folder is opened by one process at a time: here for the checks, then by the hub.
    const report = await withPglite(data.dir, (query) => expectWholeBundles(query, doneBeforeKill));
    const hub = await startHub({ ...env, DEMO: '0' });
    expect(await countOf(hub.origin, 'Patient')).toBe(report.complete.length);
    const created = await fetch(`${hub.origin}/fhir/Patient`, {
      method: 'POST',
      headers: { 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Patient', name: [{ family: 'Après' }] }),
    });
    expect(created.status).toBe(201);
    expect(await hub.stop()).toEqual({ code: 0, signal: null });
  });
});
