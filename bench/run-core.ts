// `npm run bench`: the core benchmark of issue 2 — (a) import of the Synthea bundles, (b) read by id,
// (c) small transactions — for the hub on PostgreSQL and on PGlite, each beside a baseline (plain
// Express + pg, bench/baseline-server.ts) measured in the same run. See bench/README.md for options.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { cleanupAll } from './lib/cleanup';
import type { CpuShares, Watched } from './lib/cpu-usage';
import { createPgliteDir, createPostgresDatabase, postgresFacts, type Scratch } from './lib/databases';
import { baselinePoster, hubPoster, runImport, sampleIds } from './lib/import-phase';
import { randomPosts, randomReads, runLoad, type LoadOptions } from './lib/load';
import { freePort, REPO, startChild, type Child } from './lib/processes';
import { renderReport, writeReport, type Report, type ServerRun } from './lib/report';
import { singlePatient, smallTransaction } from './lib/small-transaction';
import { loadBundles, type BundleText } from './lib/synthea';

type Phase = 'import' | 'read' | 'tx';
type Engine = 'postgres' | 'pglite';

interface Options {
  only: string;
  engine: string;
  baseline: boolean;
  postgres: string;
  data: string;
  connections: string;
  seconds: string;
  warmup: string;
  poolSize: string;
  seedBundles: string;
  cpuProf?: string;
  output?: string;
  write: boolean;
}

const program = new Command()
  .name('bench')
  .option('--only <phases>', 'comma-separated: import,read,tx', 'import,read,tx')
  .option('--engine <engines>', 'comma-separated: postgres,pglite', 'postgres,pglite')
  .option('--no-baseline', 'skip the plain Express + pg baseline')
  .option('--postgres <url>', 'PostgreSQL server (a database per run is created there and dropped)', 'postgres://postgres@127.0.0.1:5432/postgres')
  .option('--data <dir>', 'Synthea bundles', path.resolve(REPO, '../shared/test-data/synthea'))
  .option('--connections <n>', 'concurrent connections for read and tx', '32')
  .option('--seconds <n>', 'measured seconds per load phase', '10')
  .option('--warmup <n>', 'warm-up seconds before each load phase', '3')
  .option('--pool-size <n>', 'DATABASE_POOL_SIZE of the hub and the baseline', '20')
  .option('--seed-bundles <n>', 'bundles loaded (untimed) for reads when import is not measured', '12')
  .option('--cpu-prof <dir>', 'run the hub under node --cpu-prof, profiles written to dir')
  .option('--output <file>', 'Markdown file to update (default: docs/performance.md on a full run)')
  .option('--no-write', 'print only')
  .parse();

const opts = program.opts<Options>();
const phases = new Set(opts.only.split(',').map((s) => s.trim()) as Phase[]);
const engines = opts.engine.split(',').map((s) => s.trim()) as Engine[];
const load: LoadOptions = { connections: Number(opts.connections), seconds: Number(opts.seconds), warmupSeconds: Number(opts.warmup) };
const fullRun = phases.size === 3 && engines.length === 2 && opts.baseline;
const output = opts.write ? (opts.output ?? (fullRun ? path.join(REPO, 'docs/performance.md') : undefined)) : undefined;

const cores = (c: CpuShares): string =>
  `cpu: server ${c.server.toFixed(2)}, postgres ${c.postgres.toFixed(2)}, load generator ${c.loadGenerator.toFixed(2)}, other ${c.other.toFixed(2)} cores`;

function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

interface Target {
  kind: 'baseline' | Engine;
  run: ServerRun;
  url: string;
  watched: Watched;
  ids: (string | null)[];
}

const LABELS = { baseline: 'Baseline (Express + pg, one table)', postgres: 'Hub on PostgreSQL', pglite: 'Hub on PGlite' };

/** Creates the server's storage and starts it; both are undone by cleanupAll, whatever happens. */
async function startTarget(kind: Target['kind']): Promise<Target> {
  const label = LABELS[kind];
  const scratch: Scratch = kind === 'pglite' ? createPgliteDir() : await createPostgresDatabase(opts.postgres, kind === 'baseline' ? 'baseline' : 'hub');
  const port = await freePort();
  const env = { ...scratch.env, PORT: String(port), DATABASE_POOL_SIZE: opts.poolSize };
  let child: Child;
  if (kind === 'baseline') {
    child = await startChild({ name: label, script: 'bench/baseline-server.ts', env, port, readyPath: '/readyz' });
  } else {
    // The core FHIR server of issue 2: token checks, access policy, audit and the per-client rate limit
    // (it would answer 429 to a load generator) are off; they are not what this benchmark measures.
    const hubEnv = { ...env, HOST: '127.0.0.1', DEMO: '0', LOG_LEVEL: 'warn', AUTH: 'off', RATE_LIMIT_PER_MINUTE: '0', BASE_URL: `http://127.0.0.1:${port}/fhir` };
    const prof = opts.cpuProf ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(opts.cpuProf)}`] : [];
    child = await startChild({ name: label, script: 'src/cli/main.ts', args: ['serve'], env: hubEnv, port, readyPath: '/readyz', nodeFlags: prof });
  }
  log(`${label} ready at ${child.url} (${scratch.describe})`);
  return { kind, url: child.url, watched: { pid: child.pid, database: scratch.database }, ids: [], run: { label, storage: scratch.describe, command: child.command } };
}

/** (a) or the untimed seed that reads need. */
async function importInto(t: Target, bundles: BundleText[]): Promise<void> {
  const imported = await runImport(bundles, t.kind === 'baseline' ? baselinePoster(t.url) : hubPoster(t.url), t.watched);
  if (phases.has('import')) t.run.import = imported;
  else t.run.seeded = imported.resources;
  t.ids = imported.ids;
  const what = phases.has('import') ? 'import' : 'seed';
  log(`${t.run.label}: ${what} ${imported.resources} resources in ${imported.seconds.toFixed(1)} s = ${Math.round(imported.perSecond)}/s, ${imported.failures} failed${imported.firstFailure ? ` (first: ${imported.firstFailure})` : ''}; ${cores(imported.cpu)}`);
}

async function readFrom(t: Target): Promise<void> {
  const prefix = t.kind === 'baseline' ? '/' : '/fhir/';
  const paths = sampleIds(t.ids).map((id) => prefix + id);
  if (paths.length === 0) throw new Error(`${t.run.label}: nothing stored, nothing to read`);
  const r = (t.run.read = await runLoad(t.url, randomReads(paths), load, t.watched));
  log(`${t.run.label}: read ${Math.round(r.perSecond)} req/s p50 ${r.p50} ms p99 ${r.p99} ms [${r.statuses}]; ${cores(r.cpu)}`);
}

async function writeTo(t: Target): Promise<void> {
  const request = t.kind === 'baseline' ? randomPosts('/Patient', singlePatient, 'application/json') : randomPosts('/fhir', smallTransaction, 'application/fhir+json');
  const r = (t.run.write = await runLoad(t.url, request, load, t.watched));
  log(`${t.run.label}: writes ${Math.round(r.perSecond)}/s p50 ${r.p50} ms p99 ${r.p99} ms [${r.statuses}]; ${cores(r.cpu)}`);
}

function failedPhases(targets: Target[]): string[] {
  const out: string[] = [];
  for (const { run } of targets) {
    if (run.import && run.import.failures > 0.01 * (run.import.resources + run.import.failures)) out.push(`${run.label} import`);
    if (run.read && run.read.failed > 0.01 * run.read.requests) out.push(`${run.label} read`);
    if (run.write && run.write.failed > 0.01 * run.write.requests) out.push(`${run.label} writes`);
  }
  return out;
}

async function main(): Promise<void> {
  const started = Date.now();
  const pg = await postgresFacts(opts.postgres);
  const needBundles = phases.has('import') || phases.has('read');
  const limit = phases.has('import') ? Infinity : Number(opts.seedBundles);
  const bundles = needBundles ? await loadBundles(opts.data, limit) : [];
  if (needBundles) log(`${bundles.length} bundles, ${bundles.reduce((n, b) => n + b.resources, 0)} resources in memory`);
  const report: Report = {
    date: new Date(),
    argv: `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`,
    postgres: pg,
    settings: `${load.connections} connections, ${load.warmupSeconds} s warm-up + ${load.seconds} s measured per load phase, pool ${opts.poolSize}, hub LOG_LEVEL=warn AUTH=off RATE_LIMIT_PER_MINUTE=0`,
    hubs: [],
    notes: [
      'Import: the bundles are decompressed before timing, then POSTed one after the other over HTTP; the hub runs each as a FHIR transaction (batch for the two Synthea practitioner/hospital files: conditional creates), the baseline stores each bundle with one INSERT of all its resources.',
      'Read: GET by id of a random resource among every 17th imported one (same positions, so the same JSON, on every server).',
      'Small writes: the hub receives a transaction Bundle of 1 Patient + 1 Observation (urn:uuid reference, random values); the baseline receives 1 random Patient and commits 1 row. Latencies are those of 2xx answers; any failure is flagged in the table.',
    ],
  };
  // Every server runs from the start, and each phase measures them one right after the other, so that
  // a hub and its baseline see the same (noisy) machine.
  const targets: Target[] = [];
  for (const kind of [...(opts.baseline ? ['baseline' as const] : []), ...engines]) targets.push(await startTarget(kind));
  if (needBundles) for (const t of targets) await importInto(t, bundles);
  if (phases.has('read')) for (const t of targets) await readFrom(t);
  if (phases.has('tx')) for (const t of targets) await writeTo(t);
  report.baseline = targets.find((t) => t.kind === 'baseline')?.run;
  report.hubs = targets.filter((t) => t.kind !== 'baseline').map((t) => t.run);
  const markdown = renderReport(report);
  console.log(`\n${markdown}\n`);
  const broken = failedPhases(targets);
  if (broken.length > 0) {
    // Figures of a run where requests failed are not figures of the server: print them, publish nothing.
    console.error(`more than 1 % of requests failed in: ${broken.join(', ')}; ${output ?? 'the report'} left as it was`);
    process.exitCode = 1;
  } else if (output) {
    mkdirSync(path.dirname(output), { recursive: true });
    writeReport(output, markdown);
    log(`written to ${path.relative(process.cwd(), output)}`);
  }
  log(`bench finished in ${Math.round((Date.now() - started) / 1000)} s`);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
