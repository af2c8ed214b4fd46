// `npm run bench:search`: the search benchmark of issue 3 on PostgreSQL with the 122 Synthea bundles —
// median and p99 of each query at 8 concurrent clients, the code search at 32 connections beside the
// baseline's read by id measured in the same run, and the plan of each query.
import path from 'node:path';
import { Command } from 'commander';
import { loadConfig } from '../src/config';
import { openHub } from '../src/hub';
import { cleanupAll } from './lib/cleanup';
import { createPostgresDatabase, postgresFacts } from './lib/databases';
import { baselinePoster, hubPoster, runImport, sampleIds } from './lib/import-phase';
import { randomReads, runLoad } from './lib/load';
import { freePort, REPO, startChild } from './lib/processes';
import { loadBundles } from './lib/synthea';
import { explainCases } from './search/explain';
import { pickSearchCases } from './search/queries';
import { renderSearchReport, writeSearchReport, type SearchReport } from './search/report';

const opts = new Command()
  .name('bench-search')
  .option('--postgres <url>', 'PostgreSQL server (a database per run is created there and dropped)', 'postgres://postgres@127.0.0.1:5432/postgres')
  .option('--database <url>', 'a database the hub already holds the Synthea data in (skips the import)')
  .option('--data <dir>', 'Synthea bundles', path.resolve(REPO, '../shared/test-data/synthea'))
  .option('--seconds <n>', 'measured seconds per query', '8')
  .option('--warmup <n>', 'warm-up seconds per query', '2')
  .option('--no-wide', 'skip the 32-connection comparison with the baseline')
  .option('--no-write', 'print only')
  .parse()
  .opts<{ postgres: string; database?: string; data: string; seconds: string; warmup: string; wide: boolean; write: boolean }>();

async function main(): Promise<void> {
  const postgres = await postgresFacts(opts.postgres);
  const load = { connections: 8, seconds: Number(opts.seconds), warmupSeconds: Number(opts.warmup) };
  const bundles = await loadBundles(opts.data);
  const databaseUrl = opts.database ?? (await createPostgresDatabase(opts.postgres, 'search')).env.DATABASE_URL;
  const port = await freePort();
  const hub = await startChild({
    name: 'hub',
    script: 'src/cli/main.ts',
    args: ['serve'],
    // The FHIR search engine is measured, as in bench/run-core.ts: no authentication, no rate limit.
    env: { DATABASE_URL: databaseUrl, PORT: String(port), HOST: '127.0.0.1', DEMO: '0', LOG_LEVEL: 'warn', AUTH: 'off', RATE_LIMIT_PER_MINUTE: '0', BASE_URL: `http://127.0.0.1:${port}/fhir` },
    port,
    readyPath: '/readyz',
  });
  if (!opts.database) {
    console.log(`importing ${bundles.length} bundles…`);
    const imported = await runImport(bundles, hubPoster(hub.url));
    if (imported.failures) throw new Error(`import failed: ${imported.firstFailure}`);
  }
  const inProcess = await openHub(loadConfig({ DATABASE_URL: databaseUrl, DEMO: '0', AUTH: 'off', HOST: '127.0.0.1' }));
  // As autovacuum does soon after a bulk load: statistics, and the visibility map index-only scans need.
  await inProcess.ctx.db.query('VACUUM ANALYZE');
  const cases = await pickSearchCases(inProcess.ctx.db);
  const plans = await explainCases(inProcess.ctx, cases);
  await inProcess.close();
  const report: SearchReport = {
    date: new Date(),
    argv: `npm run bench:search -- ${process.argv.slice(2).join(' ')}`.trim(),
    postgres,
    dataset: `${bundles.length} Synthea bundles (${bundles.reduce((n, b) => n + b.resources, 0)} resources) on PostgreSQL`,
    cases: [],
    plans,
  };
  for (const c of cases) {
    const r = await runLoad(`${hub.url}/fhir/${c.query}`, { method: 'GET', headers: { accept: 'application/fhir+json' } }, load);
    console.log(`${c.label.padEnd(26)} ${Math.round(r.perSecond)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms${r.failed ? `  ${r.failed} failed` : ''}`);
    report.cases.push({ case: c, load: r });
  }
  if (opts.wide) report.wide = await wideComparison(hub.url, cases[1].query, bundles, load);
  await hub.stop();
  const text = renderSearchReport(report);
  console.log(`\n${text}`);
  if (opts.write) writeSearchReport(text);
}

/** The code search's first page at 32 connections, then the baseline's read by id at 32 connections. */
async function wideComparison(hubUrl: string, query: string, bundles: Awaited<ReturnType<typeof loadBundles>>, load: { seconds: number; warmupSeconds: number }) {
  const wide = { ...load, connections: 32 };
  const search = await runLoad(`${hubUrl}/fhir/${query}`, { method: 'GET', headers: { accept: 'application/fhir+json' } }, wide);
  const db = await createPostgresDatabase(opts.postgres, 'searchbase');
  const port = await freePort();
  const baseline = await startChild({ name: 'baseline', script: 'bench/baseline-server.ts', env: { ...db.env, PORT: String(port) }, port, readyPath: '/readyz' });
  const seeded = await runImport(bundles.slice(0, 12), baselinePoster(baseline.url));
  const baselineRead = await runLoad(baseline.url, randomReads(sampleIds(seeded.ids).map((id) => `/${id}`)), wide);
  await baseline.stop();
  return { search, baselineRead };
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
