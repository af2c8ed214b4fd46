// `npm run bench:letters`: lettre de liaison intake end to end (issue 7, target ≥ 50 letters/s on PostgreSQL) —
// MHD ITI-65 provide bundles (half with a PDF, half with a CDA R2 letter whose header is parsed and cross-checked)
// posted by several concurrent senders to a hub process holding the demo territory; each letter is identified,
// filed and routed (List, DocumentReference, Binary, two Communications, a follow-up Task: six resources).
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Bundle, Patient } from '@medplum/fhirtypes';
import { Command } from 'commander';
import { mhdBundle, PATIENTS, type LetterPatient } from '../fixtures/letters/build-letters';
import { cleanupAll } from './lib/cleanup';
import { createPostgresDatabase, postgresFacts } from './lib/databases';
import { runLoad, type LoadResult } from './lib/load';
import { writeMarkedSection } from './lib/markers';
import { REPO, startBenchHub } from './lib/processes';
import { machine } from './lib/report';

const opts = new Command()
  .name('bench-letters')
  .option('--postgres <url>', 'PostgreSQL server (a database per run is created there and dropped)', 'postgres://postgres@127.0.0.1:5432/postgres')
  .option('--senders <n>', 'concurrent senders (HTTP connections)', '8')
  .option('--seconds <n>', 'measured seconds', '20')
  .option('--warmup <n>', 'warm-up seconds', '3')
  .option('--no-write', 'print only')
  .parse()
  .opts<{ postgres: string; senders: string; seconds: string; warmup: string; write: boolean }>();

const LETTERS = path.join(REPO, 'fixtures/letters');
const TARGET = 50;

/** The demo patients who have a médecin traitant: every letter is routed in full. */
function demoPatients(): LetterPatient[] {
  const territory = JSON.parse(readFileSync(path.join(REPO, 'fixtures/demo/territory.json'), 'utf8')) as Bundle;
  return territory
    .entry!.map((e) => e.resource as Patient)
    .filter((p) => p.resourceType === 'Patient' && p.generalPractitioner?.length)
    .map((p) => {
      const official = p.name!.find((n) => n.use === 'official')!;
      return { ins: p.identifier![0].value!, family: official.family!, given: official.given![0], gender: p.gender as 'male' | 'female', birthDate: p.birthDate! };
    });
}

/** A new letter at each call, alternating PDF and CDA, for the next patient, with its own unique id. */
function letterMaker(patients: LetterPatient[]): () => string {
  const pdf = readFileSync(path.join(LETTERS, 'lettre-de-liaison.pdf'));
  const cda = readFileSync(path.join(LETTERS, 'lettre-de-liaison-cda.xml'), 'utf8');
  let n = 0;
  return () => {
    const patient = patients[n % patients.length];
    const withCda = n++ % 2 === 1;
    const bytes = withCda ? Buffer.from(cda.replace(PATIENTS.gerard.ins, patient.ins)) : pdf;
    const uniqueId = `1.2.250.1.999.45.459900114.9.${Date.now()}${n}`;
    const bundle = mhdBundle({ patient, contentType: withCda ? 'text/xml' : 'application/pdf', bytes, title: 'Lettre de liaison à la sortie', period: { start: '2026-11-14T10:15:00+01:00', end: '2026-11-20T15:00:00+01:00' }, uniqueId });
    // Fresh fullUrls: senders make their own.
    const text = JSON.stringify(bundle);
    return ['0001', '0002', '0003'].reduce((t, suffix) => t.replaceAll(`0b6f5a10-7c1e-4f39-9d1a-3c2f1e8a${suffix}`, randomUUID()), text);
  };
}

function render(r: LoadResult, senders: number, pg: { version: string; settings: string }, argv: string): string {
  const ok = r.perSecond >= TARGET && r.failed === 0;
  const cores = (x: number) => x.toFixed(2);
  const perLetter = (c: number) => (r.perSecond > 0 ? ((1000 * c) / r.perSecond).toFixed(1) : '—');
  return [
    `### Latest run: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    ...machine(pg),
    `- Command: \`${argv}\`; the hub is one process (\`fhir-hub serve\`, AUTH=off as in the other benchmarks, demo territory loaded), PostgreSQL on the same machine; the machine has 2 cores shared by the load generator, the hub and PostgreSQL, and other sessions' work ran beside it: rates are lower bounds`,
    `- Load: ${senders} concurrent senders POST ITI-65 provide bundles to \`/fhir\`, alternately with a PDF and with a CDA R2 lettre de liaison (header parsed and cross-checked), each for one of the 27 demo patients who have a médecin traitant; a letter writes 6 resources (List, DocumentReference, Binary, 2 Communications, Task) in one transaction, after the identity and recipient look-ups`,
    '',
    '| Letters/s | p50 | p99 | letters | failed | CPU cores used: hub + PostgreSQL (everything else) | CPU per letter: hub + PostgreSQL | Target ≥ 50 letters/s |',
    '|---|---|---|---|---|---|---|---|',
    `| ${Math.round(r.perSecond)} | ${r.p50} ms | ${r.p99} ms | ${r.requests} | ${r.failed}${r.failed ? ` (${r.statuses})` : ''} | ${cores(r.cpu.server)} + ${cores(r.cpu.postgres)} (${cores(r.cpu.other)}) | ${perLetter(r.cpu.server)} + ${perLetter(r.cpu.postgres)} ms | ${ok ? '**met**' : '**missed**'} |`,
    '',
    // CPU time per letter does not depend on how busy the machine was; the rate does.
    `With the two cores to themselves, the hub and PostgreSQL would file at most ${Math.round(2000 / (Number(perLetter(r.cpu.server)) + Number(perLetter(r.cpu.postgres))))} letters/s (2 000 ms of CPU per second ÷ CPU per letter), the load generator left out.`,
  ].join('\n');
}

async function main(): Promise<void> {
  const pg = await postgresFacts(opts.postgres);
  const db = await createPostgresDatabase(opts.postgres, 'letters');
  const hub = await startBenchHub(db.env, { DEMO: '1' });
  const make = letterMaker(demoPatients());
  const probe = await fetch(`${hub.url}/fhir`, { method: 'POST', headers: { 'content-type': 'application/fhir+json' }, body: make() });
  if (probe.status !== 200) throw new Error(`a letter was refused (${probe.status}): ${(await probe.text()).slice(0, 800)}`);
  const senders = Number(opts.senders);
  const request = { method: 'POST' as const, path: '/fhir', headers: { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' }, setupRequest: (req: object) => ({ ...req, body: make() }) };
  const result = await runLoad(`${hub.url}/fhir`, request, { connections: senders, seconds: Number(opts.seconds), warmupSeconds: Number(opts.warmup) }, { pid: hub.pid, database: db.database });
  await hub.stop();
  const text = render(result, senders, pg, `npm run bench:letters -- ${process.argv.slice(2).join(' ')}`.trim());
  console.log(text);
  if (opts.write) writeMarkedSection('bench-letters', 'Letter intake (issue 7)', text);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
