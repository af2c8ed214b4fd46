// `npm run bench:auth`: the cost of security (issue 5). One PostgreSQL database with 12 Synthea bundles,
// hub processes on it — auth and audit off, then on (and, with --compare <dir>, the secured hub of another
// checkout, e.g. the code before a change) — and the same reads by id and code searches at 32 connections
// against each, the secured ones with a bearer token of a system client. Phases alternate between the hubs,
// round after round, so each comparison is made under the same load of a shared machine.
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { makeDevelopmentToken } from '../src/cli/token';
import { loadConfig } from '../src/config';
import { cleanupAll } from './lib/cleanup';
import { createPostgresDatabase } from './lib/databases';
import { hubPoster, runImport, sampleIds } from './lib/import-phase';
import { randomReads, runLoad, type LoadResult } from './lib/load';
import { writeMarkedSection } from './lib/markers';
import { freePort, REPO, startChild } from './lib/processes';
import { loadBundles } from './lib/synthea';

const opts = new Command()
  .option('--postgres <url>', 'PostgreSQL server', 'postgres://postgres@127.0.0.1:5432/postgres')
  .option('--seconds <n>', 'measured seconds per phase', '10')
  .option('--rounds <n>', 'rounds of phases (figures are the median over rounds)', '1')
  .option('--audit <on|off>', 'audit on the secured hub', 'on')
  .option('--compare <dir>', 'another checkout whose secured hub is measured too ("before")')
  .option('--write', 'write the figures into docs/performance.md between the bench-auth markers')
  .parse()
  .opts<{ postgres: string; seconds: string; rounds: string; audit: string; compare?: string; write?: boolean }>();

const SEARCH = '/fhir/Observation?code=http%3A%2F%2Floinc.org%7C8867-4';

async function hub(env: Record<string, string>, cwd?: string) {
  const port = await freePort();
  const base = { HOST: '127.0.0.1', PORT: String(port), DEMO: '0', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '0', BASE_URL: `http://127.0.0.1:${port}/fhir` };
  return startChild({ name: `hub AUTH=${env.AUTH}${cwd ? ` (${cwd})` : ''}`, script: 'src/cli/main.ts', args: ['serve'], env: { ...base, ...env }, port, readyPath: '/readyz', cwd });
}

function withToken(request: ReturnType<typeof randomReads>, token?: string) {
  return token ? { ...request, headers: { ...request.headers, authorization: `Bearer ${token}` } } : request;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** Milliseconds of CPU (hub + PostgreSQL) per answered request. */
const cpuMs = (r: LoadResult) => (r.perSecond > 0 ? ((r.cpu.server + r.cpu.postgres) * 1000) / r.perSecond : NaN);

async function main(): Promise<void> {
  const load = { connections: 32, seconds: Number(opts.seconds), warmupSeconds: 3 };
  const db = await createPostgresDatabase(opts.postgres, 'auth');
  const keyFile = path.join(os.tmpdir(), `fhir-hub-bench-key-${process.pid}.json`);
  const open = await hub({ ...db.env, AUTH: 'off' });
  const imported = await runImport(await loadBundles(path.resolve(REPO, '../shared/test-data/synthea'), 12), hubPoster(open.url));
  const paths = sampleIds(imported.ids).map((id) => `/fhir/${id}`);
  const securedEnv = { ...db.env, AUTH: 'on', AUDIT: opts.audit, HUB_SIGNING_KEY_FILE: keyFile };
  const tokenFor = (url: string) =>
    makeDevelopmentToken(loadConfig({ ...db.env, AUTH: 'on', HOST: '127.0.0.1', HUB_SIGNING_KEY_FILE: keyFile, BASE_URL: `${url}/fhir` }), { client: 'bench', scope: 'system/*.rs', minutes: '30' });
  const targets: { name: string; url: string; pid: number; token?: string }[] = [{ name: 'off', url: open.url, pid: open.pid }];
  if (opts.compare) {
    const before = await hub(securedEnv, path.resolve(opts.compare));
    targets.push({ name: 'on, before', url: before.url, pid: before.pid, token: await tokenFor(before.url) });
  }
  const secured = await hub(securedEnv);
  targets.push({ name: 'on', url: secured.url, pid: secured.pid, token: await tokenFor(secured.url) });
  const results: Record<string, LoadResult[]> = {};
  for (let round = 0; round < Number(opts.rounds); round++) {
    for (const [what, request] of [['read', randomReads(paths)], ['search', randomReads([SEARCH])]] as const) {
      // The order turns each round: a hub measured right after another pays for that one's background work
      // (its audit flushes, autovacuum of what it wrote), so no hub always comes second.
      for (const target of targets.map((_, i) => targets[(i + round) % targets.length])) {
        // CPU of the hub process and of PostgreSQL's backends on the database: what a request costs, whatever else
        // the shared machine runs (throughput alone moves with the other sessions' load).
        const r = await runLoad(target.url, withToken(request, target.token), load, { pid: target.pid, database: db.database });
        (results[`${what} ${target.name}`] ??= []).push(r);
        console.log(`round ${round + 1} ${what.padEnd(6)} ${target.name.padEnd(10)} ${Math.round(r.perSecond)} req/s p50 ${r.p50} ms p99 ${r.p99} ms, CPU ${cpuMs(r).toFixed(2)} ms/request, other load ${r.cpu.other.toFixed(1)} cores${r.failed ? ` ${r.failed} failed (${r.statuses})` : ''}`);
      }
    }
  }
  const rate = (key: string) => median(results[key].map((r) => r.perSecond));
  const cpu = (key: string) => median(results[key].map(cpuMs));
  const lines = [
    `${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, 12 Synthea bundles on PostgreSQL, 32 connections, ${opts.rounds} round(s) of ${opts.seconds} s per phase (median), load average at the end: ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}; audit ${opts.audit}.`,
    '',
    `| | ${targets.map((t) => `auth ${t.name}`).join(' | ')} |`,
    `|---|${targets.map(() => '---|').join('')}`,
  ];
  for (const what of ['read', 'search']) {
    const off = rate(`${what} off`);
    const cells = targets.map((t) => {
      const on = rate(`${what} ${t.name}`);
      return t.name === 'off' ? `${Math.round(on)} req/s` : `${Math.round(on)} req/s (${Math.round((100 * (on - off)) / off)} %)`;
    });
    lines.push(`| ${what === 'read' ? 'read by id' : 'code search'} | ${cells.join(' | ')} |`);
  }
  // On a machine of its own the hub and PostgreSQL are CPU-bound: throughput goes as 1 / CPU per request.
  for (const what of ['read', 'search']) {
    const off = cpu(`${what} off`);
    const cells = targets.map((t) => {
      const on = cpu(`${what} ${t.name}`);
      return t.name === 'off' ? `${off.toFixed(2)} ms` : `${on.toFixed(2)} ms (throughput ${Math.round(100 * (off / on - 1))} %)`;
    });
    lines.push(`| ${what === 'read' ? 'read' : 'search'}: CPU per request, hub + PostgreSQL | ${cells.join(' | ')} |`);
  }
  // Each round measures every hub under the same conditions: the median of the rounds' own changes is
  // immune to the machine drifting from one round to the next (the columns' medians above are not).
  for (const what of ['read', 'search']) {
    const cells = targets.map((t) => {
      if (t.name === 'off') return '';
      const change = (f: (r: LoadResult) => number) => median(results[`${what} ${t.name}`].map((r, i) => f(r) / f(results[`${what} off`][i]) - 1));
      const pct = (x: number) => `${x < 0 ? '-' : '+'}${Math.abs(Math.round(100 * x))} %`;
      return `throughput ${pct(change((r) => r.perSecond))}, CPU per request ${pct(change(cpuMs))}`;
    });
    lines.push(`| ${what}: change within each round (median) | ${cells.join(' | ')} |`);
  }
  console.log(lines.join('\n'));
  if (opts.write) writeMarkedSection('bench-auth', undefined, lines.join('\n'), 'npm run bench:auth -- --write');
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
