// `npm run bench:apply`: PlanDefinition/$apply latency (FHIR R4 §12.18.4.1; issue 8, target ≤ 100 ms median) on
// PostgreSQL: the BPCO pathway applied, one call at a time, to the demo patients who have an active care team.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, CareTeam } from '@medplum/fhirtypes';
import { Command } from 'commander';
import { cleanupAll } from './lib/cleanup';
import { createPostgresDatabase, postgresFacts } from './lib/databases';
import { writeMarkedSection } from './lib/markers';
import { REPO, startBenchHub } from './lib/processes';
import { machine } from './lib/report';

const opts = new Command()
  .name('bench-apply')
  .option('--postgres <url>', 'PostgreSQL server (a database per run is created there and dropped)', 'postgres://postgres@127.0.0.1:5432/postgres')
  .option('--calls <n>', 'measured calls (at least 50)', '100')
  .option('--warmup <n>', 'warm-up calls, not measured', '10')
  .option('--no-write', 'print only')
  .parse()
  .opts<{ postgres: string; calls: string; warmup: string; write: boolean }>();

const TARGET_MS = 100;
const PLAN = 'fhir-hub-parcours-bpco';
const JSON_HEADERS = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };

function demoTeams(): { patient: string; author: string }[] {
  const territory = JSON.parse(readFileSync(path.join(REPO, 'fixtures/demo/territory.json'), 'utf8')) as Bundle;
  return territory
    .entry!.map((e) => e.resource as CareTeam)
    .filter((r) => r.resourceType === 'CareTeam' && r.status === 'active' && r.subject?.reference)
    .map((t) => ({ patient: t.subject!.reference!, author: t.participant!.find((p) => p.member?.reference?.startsWith('PractitionerRole/'))!.member!.reference! }));
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];

function render(times: number[], tasks: number, patients: number, pg: { version: string; settings: string }, argv: string): string {
  const sorted = [...times].sort((a, b) => a - b);
  const [p50, p95] = [quantile(sorted, 0.5), quantile(sorted, 0.95)];
  const f = (x: number) => `${x.toFixed(1)} ms`;
  return [
    `### Latest run: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    ...machine(pg),
    `- Command: \`${argv}\`; the hub is one process (\`fhir-hub serve\`, AUTH=off as in the other benchmarks, demo territory loaded), PostgreSQL on the same machine. The machine has 2 cores, shared by the client, the hub and PostgreSQL, and other sessions' work ran beside it: the figures are upper bounds of what the hub needs`,
    `- Load: ${times.length} sequential \`POST /fhir/PlanDefinition/${PLAN}/$apply\` (one at a time, after the warm-up), rotating over the ${patients} demo patients with an active care team; each call reads the PlanDefinition, the patient, the author and the care team, then writes one CarePlan and ${tasks} Tasks in one transaction through dispatch (validation and the subscriptions outbox; AUTH=off, so no access rule is compiled into the reads)`,
    '',
    `| calls | median | p95 | max | Target median ≤ ${TARGET_MS} ms |`,
    '|---|---|---|---|---|',
    `| ${times.length} | ${f(p50)} | ${f(p95)} | ${f(sorted[sorted.length - 1])} | ${p50 <= TARGET_MS ? '**met**' : '**missed**'} |`,
  ].join('\n');
}

async function main(): Promise<void> {
  const calls = Math.max(50, Number(opts.calls));
  const pg = await postgresFacts(opts.postgres);
  const db = await createPostgresDatabase(opts.postgres, 'apply');
  const hub = await startBenchHub(db.env, { DEMO: '1' });
  const plan = readFileSync(path.join(REPO, 'profiles', `PlanDefinition-${PLAN}.json`), 'utf8');
  const seeded = await fetch(`${hub.url}/fhir/PlanDefinition/${PLAN}`, { method: 'PUT', headers: JSON_HEADERS, body: plan });
  if (seeded.status >= 300) throw new Error(`the PlanDefinition was refused (${seeded.status}): ${(await seeded.text()).slice(0, 800)}`);
  const teams = demoTeams();
  const times: number[] = [];
  for (let i = 0; i < Number(opts.warmup) + calls; i++) {
    const { patient, author } = teams[i % teams.length];
    const body = JSON.stringify({ resourceType: 'Parameters', parameter: [{ name: 'subject', valueString: patient }, { name: 'practitioner', valueString: author }] });
    const start = process.hrtime.bigint();
    const res = await fetch(`${hub.url}/fhir/PlanDefinition/${PLAN}/$apply`, { method: 'POST', headers: JSON_HEADERS, body });
    const text = await res.text();
    const elapsed = Number(process.hrtime.bigint() - start) / 1e6;
    if (res.status !== 201) throw new Error(`$apply for ${patient} gave ${res.status}: ${text.slice(0, 800)}`);
    if (i >= Number(opts.warmup)) times.push(elapsed);
  }
  await hub.stop();
  const tasks = (JSON.parse(plan) as { action: unknown[] }).action.length;
  const text = render(times, tasks, teams.length, pg, `npm run bench:apply -- ${process.argv.slice(2).join(' ')}`.trim());
  console.log(text);
  if (opts.write) writeMarkedSection('bench-apply', 'PlanDefinition/$apply', text);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
