// `npx tsx bench/profile-auth.ts`: where the security layer's time goes (issue 5). Two hubs on one PostgreSQL
// database — AUTH=off and AUTH=on with audit — each under node --cpu-prof, the same reads by id then code
// searches against each; the CPU of each measured phase is summed by layer (src/ folders, npm packages, node
// internals) and divided by the requests answered, so the two columns differ by what security costs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { makeDevelopmentToken } from '../src/cli/token';
import { loadConfig } from '../src/config';
import { cleanupAll } from './lib/cleanup';
import { summarize, newestProfile } from './lib/cpu-profile';
import { createPostgresDatabase } from './lib/databases';
import { hubPoster, runImport, sampleIds } from './lib/import-phase';
import { randomReads, runLoad } from './lib/load';
import { freePort, REPO, startChild } from './lib/processes';
import { loadBundles } from './lib/synthea';

const opts = new Command()
  .option('--postgres <url>', 'PostgreSQL server', 'postgres://postgres@127.0.0.1:5432/postgres')
  .option('--seconds <n>', 'measured seconds per phase', '15')
  .option('--bundles <n>', 'Synthea bundles loaded', '12')
  .option('--top <n>', 'functions listed per hub and phase', '12')
  .option('--audit <on|off>', 'audit on the secured hub', 'on')
  .parse()
  .opts<{ postgres: string; seconds: string; bundles: string; top: string; audit: string }>();

const SEARCH = '/fhir/Observation?code=http%3A%2F%2Floinc.org%7C8867-4';
type Phase = { name: string; fromMs: number; toMs: number; requests: number; cpu: { server: number; postgres: number }; perSecond: number };

async function profiledHub(name: string, env: Record<string, string>, dir: string) {
  fs.mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const spawnedAt = Date.now();
  const base = { HOST: '127.0.0.1', PORT: String(port), DEMO: '0', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', BASE_URL: `http://127.0.0.1:${port}/fhir` };
  const child = await startChild({ name, script: 'src/cli/main.ts', args: ['serve'], env: { ...base, ...env }, port, readyPath: '/readyz', nodeFlags: ['--cpu-prof', `--cpu-prof-dir=${dir}`] });
  return { child, since: () => Date.now() - spawnedAt };
}

const fmt = (us: number) => (us / 1000).toFixed(3);

async function main(): Promise<void> {
  const seconds = Number(opts.seconds);
  const db = await createPostgresDatabase(opts.postgres, 'authprof');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'fhir-hub-authprof-'));
  const keyFile = path.join(work, 'key.json');
  const off = await profiledHub('hub AUTH=off', { ...db.env, AUTH: 'off' }, path.join(work, 'off'));
  const imported = await runImport(await loadBundles(path.resolve(REPO, '../shared/test-data/synthea'), Number(opts.bundles)), hubPoster(off.child.url));
  const paths = sampleIds(imported.ids).map((id) => `/fhir/${id}`);
  const on = await profiledHub('hub AUTH=on', { ...db.env, AUTH: 'on', AUDIT: opts.audit, HUB_SIGNING_KEY_FILE: keyFile }, path.join(work, 'on'));
  const token = await makeDevelopmentToken(loadConfig({ ...db.env, AUTH: 'on', HOST: '127.0.0.1', HUB_SIGNING_KEY_FILE: keyFile, BASE_URL: `${on.child.url}/fhir` }), { client: 'bench', scope: 'system/*.rs', minutes: '30' });
  const phases: Record<string, Phase[]> = { off: [], on: [] };
  for (const [what, request] of [['read', randomReads(paths)], ['search', randomReads([SEARCH])]] as const) {
    for (const [name, hub, auth] of [['off', off, undefined], ['on', on, `Bearer ${token}`]] as const) {
      const req = auth ? { ...request, headers: { ...request.headers, authorization: auth } } : request;
      await runLoad(hub.child.url, req, { connections: 32, seconds: 3, warmupSeconds: 0 });
      const fromMs = hub.since();
      const r = await runLoad(hub.child.url, req, { connections: 32, seconds, warmupSeconds: 0 }, { pid: hub.child.pid, database: db.database });
      phases[name].push({ name: what, fromMs, toMs: hub.since(), requests: r.requests, cpu: r.cpu, perSecond: r.perSecond });
      const ms = (cores: number) => ((cores * 1000) / r.perSecond).toFixed(3);
      console.log(`${what} auth ${name}: ${Math.round(r.perSecond)} req/s, CPU per request: hub ${ms(r.cpu.server)} ms, PostgreSQL ${ms(r.cpu.postgres)} ms${r.failed ? `, ${r.failed} failed (${r.statuses})` : ''}`);
    }
  }
  await off.child.stop();
  await on.child.stop();
  for (const what of ['read', 'search']) {
    const sums = (['off', 'on'] as const).map((name) => {
      const phase = phases[name].find((p) => p.name === what)!;
      return { phase, ...summarize(newestProfile(path.join(work, name)), phase.fromMs, phase.toMs) };
    });
    const buckets = [...new Set(sums.flatMap((s) => [...s.buckets.keys()]))];
    const perRequest = (s: (typeof sums)[number], key: string) => (s.buckets.get(key) ?? 0) / s.phase.requests;
    buckets.sort((a, b) => perRequest(sums[1], b) - perRequest(sums[1], a));
    console.log(`\n${what}: hub CPU per request (ms), self time by layer`);
    console.log(`| layer | auth off | auth on | difference |\n|---|---|---|---|`);
    for (const key of buckets) {
      const [a, b] = sums.map((s) => perRequest(s, key));
      if (Math.max(a, b) >= 1) console.log(`| ${key} | ${fmt(a)} | ${fmt(b)} | ${fmt(b - a)} |`);
    }
    const [ta, tb] = sums.map((s) => s.totalUs / s.phase.requests);
    console.log(`| total | ${fmt(ta)} | ${fmt(tb)} | ${fmt(tb - ta)} |`);
    const top = [...sums[1].functions].sort((x, y) => y[1] - x[1]).slice(0, Number(opts.top));
    console.log(`\n${what}, auth on: top functions by self time (ms per request)`);
    for (const [fn, us] of top) console.log(`  ${fmt(us / sums[1].phase.requests)}  ${fn}`);
  }
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
