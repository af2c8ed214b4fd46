// `npm run bench:auth`: the cost of security (issue 5). One PostgreSQL database with 12 Synthea bundles,
// two hub processes on it — auth and audit off, then on — and the same reads by id and code searches
// at 32 connections against each, the secured one with a bearer token of a system client.
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { makeDevelopmentToken } from '../src/cli/token';
import { loadConfig } from '../src/config';
import { cleanupAll } from './lib/cleanup';
import { createPostgresDatabase } from './lib/databases';
import { hubPoster, runImport, sampleIds } from './lib/import-phase';
import { randomReads, runLoad, type LoadResult } from './lib/load';
import { freePort, REPO, startChild } from './lib/processes';
import { loadBundles } from './lib/synthea';

const opts = new Command()
  .option('--postgres <url>', 'PostgreSQL server', 'postgres://postgres@127.0.0.1:5432/postgres')
  .option('--seconds <n>', 'measured seconds per phase', '10')
  .option('--audit <on|off>', 'audit on the secured hub', 'on')
  .parse()
  .opts<{ postgres: string; seconds: string; audit: string }>();

const SEARCH = '/fhir/Observation?code=http%3A%2F%2Floinc.org%7C8867-4';

async function hub(env: Record<string, string>) {
  const port = await freePort();
  const base = { HOST: '127.0.0.1', PORT: String(port), DEMO: '0', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', BASE_URL: `http://127.0.0.1:${port}/fhir` };
  return startChild({ name: `hub AUTH=${env.AUTH}`, script: 'src/cli/main.ts', args: ['serve'], env: { ...base, ...env }, port, readyPath: '/readyz' });
}

function withToken(request: ReturnType<typeof randomReads>, token?: string) {
  return token ? { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } } : request;
}

async function main(): Promise<void> {
  const load = { connections: 32, seconds: Number(opts.seconds), warmupSeconds: 3 };
  const db = await createPostgresDatabase(opts.postgres, 'auth');
  const keyFile = path.join(os.tmpdir(), `fhir-hub-bench-key-${process.pid}.json`);
  const open = await hub({ ...db.env, AUTH: 'off' });
  const imported = await runImport(await loadBundles(path.resolve(REPO, '../shared/test-data/synthea'), 12), hubPoster(open.url));
  const paths = sampleIds(imported.ids).map((id) => `/fhir/${id}`);
  const secured = await hub({ ...db.env, AUTH: 'on', AUDIT: opts.audit, HUB_SIGNING_KEY_FILE: keyFile });
  const token = await makeDevelopmentToken(loadConfig({ ...db.env, AUTH: 'on', HOST: '127.0.0.1', HUB_SIGNING_KEY_FILE: keyFile, BASE_URL: `${secured.url}/fhir` }), { client: 'bench', scope: 'system/*.rs', minutes: '30' });
  const results: Record<string, LoadResult> = {};
  for (const [name, target, token_] of [['off', open, undefined], ['on', secured, token]] as const) {
    results[`read ${name}`] = await runLoad(target.url, withToken(randomReads(paths), token_), load);
    results[`search ${name}`] = await runLoad(target.url, withToken(randomReads([SEARCH]), token_), load);
  }
  for (const [k, r] of Object.entries(results)) console.log(`${k.padEnd(12)} ${Math.round(r.perSecond)} req/s p50 ${r.p50} ms p99 ${r.p99} ms${r.failed ? ` ${r.failed} failed (${r.statuses})` : ''}`);
  for (const what of ['read', 'search']) {
    const off = results[`${what} off`].perSecond;
    const on = results[`${what} on`].perSecond;
    console.log(`${what}: auth + audit=${opts.audit} cost ${Math.round((100 * (off - on)) / off)} % of the throughput (target ≤ 15 %)`);
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
