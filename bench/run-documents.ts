// `npm run bench:documents`: issue 7's document figures — Patient/$summary latency (median, p95 over sequential
// calls) for a Synthea patient of ~1 000 resources among others, and Patient/$everything throughput walking
// every page — on PGlite and on PostgreSQL, each hub a child process spoken to over HTTP.
import os from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { Command } from 'commander';
import { Client } from 'pg';
import { cleanupAll } from './lib/cleanup';
import { createPgliteDir, createPostgresDatabase, postgresFacts, type Scratch } from './lib/databases';
import { hubPoster, runImport } from './lib/import-phase';
import { freePort, REPO, startChild } from './lib/processes';
import { loadBundles, type BundleText } from './lib/synthea';
import { renderDocumentsReport, writeDocumentsReport, type EngineFigures } from './documents/report';

const opts = new Command()
  .name('bench-documents')
  .option('--postgres <url>', 'PostgreSQL server (a database per run is created there and dropped)', 'postgres://postgres@127.0.0.1:5432/postgres')
  .option('--data <dir>', 'Synthea bundles', path.resolve(REPO, '../shared/test-data/synthea'))
  .option('--patient <file>', 'the measured patient (~1 000 resources)', 'b08d10a2-5031-379f-0157-ddceb2196440.json.bz2')
  .option('--others <n>', 'other Synthea patients loaded beside it', '20')
  .option('--calls <n>', 'measured $summary calls (after 5 warm-up calls)', '60')
  .option('--walks <n>', '$everything walks over all pages', '3')
  .option('--page <n>', '$everything _count', '200')
  .option('--engine <which>', 'pglite, postgres or both', 'both')
  .option('--no-write', 'print only')
  .parse()
  .opts<{ postgres: string; data: string; patient: string; others: string; calls: string; walks: string; page: string; engine: string; write: boolean }>();

const HEADERS = { accept: 'application/fhir+json' };
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

async function getJson(url: string): Promise<{ body: Json; bytes: number }> {
  const res = await fetch(url, { headers: HEADERS });
  const text = await res.text();
  if (!res.ok) throw new Error(`GET ${url} → ${res.status} ${text.slice(0, 300)}`);
  return { body: JSON.parse(text) as Json, bytes: Buffer.byteLength(text) };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

/** Statistics and visibility map, as autovacuum gives PostgreSQL soon after a bulk load (PGlite has no autovacuum). */
async function analyze(scratch: Scratch): Promise<void> {
  if (scratch.env.DATABASE_URL) {
    const c = new Client({ connectionString: scratch.env.DATABASE_URL });
    await c.connect();
    await c.query('VACUUM ANALYZE');
    await c.end();
  } else {
    const pg = await PGlite.create({ dataDir: scratch.env.DATA_DIR });
    await pg.query('VACUUM ANALYZE');
    await pg.close();
  }
}

async function startHub(engine: string, scratch: Scratch) {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}/fhir`;
  const hub = await startChild({
    name: `hub-${engine}`,
    script: 'src/cli/main.ts',
    args: ['serve'],
    // The operations are measured, as the other benches measure their interactions: no authentication, no rate limit.
    env: { ...scratch.env, PORT: String(port), HOST: '127.0.0.1', DEMO: '0', LOG_LEVEL: 'warn', AUTH: 'off', RATE_LIMIT_PER_MINUTE: '0', BASE_URL: base },
    port,
    readyPath: '/readyz',
    readyTimeoutMs: 180_000,
  });
  return { hub, base };
}

async function measurePhase(label: string, base: string, id: string): Promise<Omit<EngineFigures, 'engine' | 'storage' | 'databaseResources'>> {
  const summaryUrl = `${base}/Patient/${id}/$summary`;
  for (let i = 0; i < 5; i++) await getJson(summaryUrl);
  const times: number[] = [];
  let last = { body: {} as Json, bytes: 0 };
  for (let i = 0; i < Number(opts.calls); i++) {
    const t0 = performance.now();
    last = await getJson(summaryUrl);
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  console.log(`${label}: $summary median ${quantile(times, 0.5).toFixed(1)} ms`);
  const seconds: number[] = [];
  let resources = 0;
  let pages = 0;
  let compartment = 0;
  for (let w = 0; w < Number(opts.walks); w++) {
    let url: string | undefined = `${base}/Patient/${id}/$everything?_count=${opts.page}`;
    resources = 0;
    pages = 0;
    const t0 = performance.now();
    while (url) {
      const { body } = await getJson(url);
      compartment = body.total as number;
      resources += (body.entry ?? []).length;
      pages++;
      url = ((body.link ?? []) as Json[]).find((l) => l.relation === 'next')?.url;
    }
    seconds.push((performance.now() - t0) / 1000);
  }
  return {
    phase: label,
    load: os.loadavg()[0],
    compartment,
    summary: { calls: times.length, p50: quantile(times, 0.5), p95: quantile(times, 0.95), min: times[0], max: times[times.length - 1], entries: (last.body.entry ?? []).length, bytes: last.bytes },
    everything: { walks: seconds.length, pageSize: Number(opts.page), resources, pages, seconds, perSecond: resources / Math.min(...seconds) },
  };
}

/** Two phases per engine: right after the import (no statistics yet), then after VACUUM ANALYZE. */
async function measureEngine(engine: string, scratch: Scratch, bundles: BundleText[], patient: BundleText): Promise<EngineFigures[]> {
  let { hub, base } = await startHub(engine, scratch);
  console.log(`${engine}: importing ${bundles.length} bundles…`);
  const imported = await runImport(bundles, hubPoster(hub.url));
  if (imported.failures) throw new Error(`import failed: ${imported.firstFailure}`);
  const raw = JSON.parse(patient.text) as Json;
  const p = raw.entry.find((e: Json) => e.resource.resourceType === 'Patient').resource;
  const found = await getJson(`${base}/Patient?identifier=${encodeURIComponent(`${p.identifier[0].system}|${p.identifier[0].value}`)}`);
  const id = found.body.entry[0].resource.id as string;
  const databaseResources = imported.resources;
  const fresh = await measurePhase(`${engine} fresh`, base, id);
  await hub.stop();
  await analyze(scratch);
  ({ hub, base } = await startHub(engine, scratch));
  const analyzed = await measurePhase(`${engine} analyzed`, base, id);
  await hub.stop();
  await scratch.drop();
  return [fresh, analyzed].map((ph) => ({ ...ph, engine, storage: scratch.describe, databaseResources }));
}

async function main(): Promise<void> {
  const postgres = await postgresFacts(opts.postgres);
  const all = await loadBundles(opts.data);
  const patient = all.find((b) => path.basename(b.file) === opts.patient);
  if (!patient) throw new Error(`${opts.patient} is not in ${opts.data}`);
  // Directory bundles first (the patients' references resolve to them), then others, then the measured patient.
  const directory = all.filter((b) => /^0-/.test(path.basename(b.file)));
  const others = all.filter((b) => b !== patient && !directory.includes(b)).slice(0, Number(opts.others));
  const bundles = [...directory, ...others, patient];
  const engines: EngineFigures[] = [];
  if (opts.engine !== 'postgres') engines.push(...await measureEngine('PGlite', createPgliteDir(), bundles, patient));
  if (opts.engine !== 'pglite') engines.push(...await measureEngine('PostgreSQL', await createPostgresDatabase(opts.postgres, 'documents'), bundles, patient));
  const text = renderDocumentsReport({
    date: new Date(),
    argv: `npm run bench:documents -- ${process.argv.slice(2).join(' ')}`.trim(),
    postgres,
    dataset: `Synthea patient ${opts.patient} (${patient.resources} resources in its bundle) among ${others.length} other patients and the Synthea directory (${bundles.reduce((n, b) => n + b.resources, 0)} resources imported per engine)`,
    engines,
    notes: [
      '"fresh": right after the import, before any planner statistics; "analyzed": after `VACUUM ANALYZE`, which autovacuum does on PostgreSQL soon after a bulk load and which nothing runs on PGlite (it has no autovacuum: an embedded hub stays "fresh"). Without statistics, searches combining `patient` with a token or date criterion (`Observation?patient=…&category=vital-signs`: 0.4 s on this data) pick nested loops; `$summary` therefore reads the patient\'s observations and documents by `patient` alone and filters them in code.',
      'One client, sequential calls, hub with AUTH=off (the access policy adds its SQL conditions to every search of both operations; see `npm run bench:auth` for its cost elsewhere).',
      'The machine (2 cores) was shared with other engineers\' builds and tests during the run: figures are indicative, not a controlled measurement.',
      '`$everything` resources/s counts every entry of every page (compartment matches and the referenced resources included with them) over the fastest walk.',
    ],
  });
  console.log(`\n${text}`);
  if (opts.write) writeDocumentsReport(text);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
