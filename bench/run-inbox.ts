// `npm run bench:inbox`: GET Communication/$inbox latency (issue 8, target ≤ 20 ms median with 100 000 Communications).
// Loads patients, practitioners, care teams and messages to the teams through transaction Bundles (the API's own
// write path: thread stamps and deliveries included), marks some read, then times $inbox of random practitioners.
import { randomUUID } from 'node:crypto';
import { Command } from 'commander';
import { openPglite } from '../src/store/pglite';
import { openPostgres } from '../src/store/postgres';
import { inboxSql } from '../src/workflows/messaging/inbox';
import { cleanupAll } from './lib/cleanup';
import { createPgliteDir, createPostgresDatabase, postgresFacts, type Scratch } from './lib/databases';
import { writeMarkedSection } from './lib/markers';
import { startBenchHub } from './lib/processes';
import { machine } from './lib/report';

const opts = new Command()
  .name('bench-inbox')
  .option('--messages <n>', 'Communications to store', '100000')
  .option('--patients <n>', 'patients (one care team of 3 practitioners each)', '2000')
  .option('--practitioners <n>', 'practitioners', '500')
  .option('--calls <n>', 'measured $inbox calls', '200')
  .option('--postgres <url>', 'also run on this PostgreSQL server (a database is created and dropped)')
  .option('--pg-server <url>', 'PostgreSQL server for the report facts', 'postgres://postgres@127.0.0.1:5432/postgres')
  .option('--write', 'write the figures into docs/performance.md', false)
  .parse()
  .opts<{ messages: string; patients: string; practitioners: string; calls: string; postgres?: string; pgServer: string; write: boolean }>();

const TARGET_MS = 20;
const BATCH = 1000;
const HEADERS = { 'content-type': 'application/fhir+json', accept: 'application/fhir+json' };
const N = { messages: Number(opts.messages), patients: Number(opts.patients), practitioners: Number(opts.practitioners), calls: Number(opts.calls) };
const rnd = (n: number) => Math.floor(Math.random() * n);
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)];
const teamOf = (p: number) => [p % N.practitioners, (p * 7 + 1) % N.practitioners, (p * 13 + 2) % N.practitioners];

async function post(url: string, body: unknown): Promise<{ entry?: { response?: { location?: string } }[] }> {
  const res = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(body) });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`POST ${url} gave ${res.status}: ${text.slice(0, 800)}`);
  return JSON.parse(text);
}

const transaction = (entries: unknown[]) => ({ resourceType: 'Bundle', type: 'transaction', entry: entries });
const put = (resource: { resourceType: string; id: string }) => ({ resource, request: { method: 'PUT', url: `${resource.resourceType}/${resource.id}` } });

async function load(base: string): Promise<{ seconds: number }> {
  const start = Date.now();
  const directory = [
    ...Array.from({ length: N.practitioners }, (_, i) => put({ resourceType: 'Practitioner', id: `pr${i}` })),
    ...Array.from({ length: N.patients }, (_, p) => put({ resourceType: 'Patient', id: `pa${p}` })),
    ...Array.from({ length: N.patients }, (_, p) =>
      put({ resourceType: 'CareTeam', id: `ct${p}`, status: 'active', subject: { reference: `Patient/pa${p}` }, participant: teamOf(p).map((i) => ({ member: { reference: `Practitioner/pr${i}` } })) } as never),
    ),
  ];
  for (let i = 0; i < directory.length; i += BATCH) await post(base, transaction(directory.slice(i, i + BATCH)));
  // A quarter of the messages answer an earlier one about the same patient, so threads are real.
  const earlier = new Map<number, string>();
  for (let done = 0; done < N.messages; done += BATCH) {
    const patients: number[] = [];
    const entries = Array.from({ length: Math.min(BATCH, N.messages - done) }, (_, k) => {
      const p = rnd(N.patients);
      patients.push(p);
      const answered = earlier.get(p);
      const reply = answered && Math.random() < 0.25 ? { inResponseTo: [{ reference: answered }] } : {};
      const sent = new Date(Date.UTC(2026, 0, 1) + (done + k) * 60_000).toISOString();
      const resource = { resourceType: 'Communication', status: 'completed', subject: { reference: `Patient/pa${p}` }, sender: { reference: `Practitioner/pr${teamOf(p)[0]}` }, recipient: [{ reference: `CareTeam/ct${p}` }], sent, payload: [{ contentString: `Message ${done + k}` }], ...reply };
      return { fullUrl: `urn:uuid:${randomUUID()}`, resource, request: { method: 'POST', url: 'Communication' } };
    });
    const out = await post(base, transaction(entries));
    out.entry?.forEach((e, k) => earlier.set(patients[k], e.response!.location!.replace(/^.*\/(Communication\/[^/]+)\/_history.*$/, '$1')));
    if ((done / BATCH) % 10 === 0) process.stderr.write(`  ${done + entries.length} messages in ${((Date.now() - start) / 1000).toFixed(0)} s\n`);
  }
  // Some of each practitioner's messages read, so unread-first ordering has work to do.
  for (let i = 0; i < N.practitioners; i++) {
    const box = (await (await fetch(`${base}/Communication/$inbox?recipient=Practitioner/pr${i}&_count=10`, { headers: HEADERS })).json()) as { entry?: { resource: { id: string } }[] };
    for (const e of (box.entry ?? []).slice(0, 5)) {
      const res = await fetch(`${base}/Communication/${e.resource.id}/$mark-read?recipient=Practitioner/pr${i}`, { method: 'POST', headers: { accept: HEADERS.accept } });
      if (res.status !== 200) throw new Error(`$mark-read gave ${res.status}: ${(await res.text()).slice(0, 400)}`);
      await res.arrayBuffer();
    }
  }
  return { seconds: (Date.now() - start) / 1000 };
}

async function timeHttp(base: string): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < N.calls + 20; i++) {
    const start = process.hrtime.bigint();
    const res = await fetch(`${base}/Communication/$inbox?recipient=Practitioner/pr${rnd(N.practitioners)}`, { headers: HEADERS });
    const body = (await res.json()) as { total?: number };
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (res.status !== 200 || !body.total) throw new Error(`$inbox gave ${res.status} (total ${body.total})`);
    if (i >= 20) times.push(ms);
  }
  return times;
}

/** The same statement with a professional's access rule compiled in (AUTH=on), timed in process on the stopped hub's data. */
async function timeSqlAsProfessional(storage: Scratch): Promise<{ times: number[]; counts: string }> {
  const db = storage.env.DATABASE_URL ? await openPostgres(storage.env.DATABASE_URL, 2) : await openPglite(storage.env.DATA_DIR);
  const times: number[] = [];
  let counts = '';
  try {
    const c = await db.query<{ messages: number; deliveries: number; read: number }>(
      "SELECT (SELECT count(*)::int FROM resource WHERE res_type = 'Communication') AS messages, count(*)::int AS deliveries, count(read_at)::int AS read FROM message_delivery",
    );
    counts = `${c.rows[0].messages} Communications, ${c.rows[0].deliveries} deliveries (${c.rows[0].read} read)`;
    for (let i = 0; i < N.calls + 20; i++) {
      const id = `pr${rnd(N.practitioners)}`;
      const rule = { care: { practitioners: [id], roles: [], organizations: [], breakGlass: false } };
      const { sql, values } = inboxSql({ recipients: [`Practitioner/${id}`], count: 50, offset: 0 }, rule, true);
      const start = process.hrtime.bigint();
      const rows = (await db.query(sql, values)).rows;
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (rows.length === 0) throw new Error(`no inbox row for ${id} under the access rule`);
      if (i >= 20) times.push(ms);
    }
  } finally {
    await db.close();
  }
  return { times, counts };
}

const stored: string[] = [];

async function run(engine: string, storage: Scratch): Promise<string> {
  const hub = await startBenchHub(storage.env, { VALIDATION: 'off', SUBSCRIPTIONS: 'off' });
  const loaded = await load(`${hub.url}/fhir`);
  const http = await timeHttp(`${hub.url}/fhir`);
  await hub.stop();
  const { times: sql, counts } = await timeSqlAsProfessional(storage);
  const f = (x: number) => `${x.toFixed(1)} ms`;
  const row = (what: string, t: number[]) => {
    const s = [...t].sort((a, b) => a - b);
    return `| ${engine} | ${what} | ${t.length} | ${f(quantile(s, 0.5))} | ${f(quantile(s, 0.95))} | ${quantile(s, 0.5) <= TARGET_MS ? '**met**' : '**missed**'} |`;
  };
  process.stderr.write(`  ${engine}: loaded in ${loaded.seconds.toFixed(0)} s\n`);
  stored.push(`${engine}: ${counts}`);
  return [row(`HTTP \`$inbox?recipient=\` (load: ${loaded.seconds.toFixed(0)} s)`, http), row('SQL page + total, professional access rule', sql)].join('\n');
}

async function main(): Promise<void> {
  const pg = await postgresFacts(opts.pgServer);
  const rows = [await run('PGlite', createPgliteDir())];
  if (opts.postgres) rows.push(await run('PostgreSQL', await createPostgresDatabase(opts.postgres, 'inbox')));
  const argv = `npm run bench:inbox -- ${process.argv.slice(2).join(' ')}`.trim();
  const text = [
    `### Latest run: ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}`,
    '',
    ...machine(pg),
    `- Command: \`${argv}\`; one hub process (\`fhir-hub serve\`, AUTH=off, VALIDATION=off for the load); 2 cores shared by client, hub and database`,
    `- Data: ${N.messages} Communications about ${N.patients} patients, each sent to the patient's care team of 3 of ${N.practitioners} practitioners (a quarter of the messages are replies), loaded as transaction Bundles of ${BATCH}; 5 messages per practitioner marked read`,
    `- Stored after the load: ${stored.join('; ')}`,
    `- HTTP: sequential \`GET /fhir/Communication/$inbox?recipient=Practitioner/[random]\` (first page of 50, total included), after 20 warm-up calls; AUTH=off, so no access rule. SQL: the same statement with a professional's care-relationship rule compiled in, run in process on the stopped hub's data`,
    '',
    `| engine | measured | calls | median | p95 | target median ≤ ${TARGET_MS} ms |`,
    '|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  console.log(text);
  if (opts.write) writeMarkedSection('bench-inbox', 'Communication/$inbox', text);
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
