// Subscriptions under load (issue 6): a hub on PostgreSQL takes a steady stream of Task writes while 100 active
// subscriptions (half R4 criteria with full payload, half backport topic with id-only) notify rest-hook receivers on
// loopback. Measures the write rate held, the delivery latency (write answered → notification received) and the
// backlog (unmatched outbox events, pending notifications) over time.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Command } from 'commander';
import { Client } from 'pg';
import { cleanupAll } from './lib/cleanup';
import { createPostgresDatabase, postgresFacts } from './lib/databases';
import { writeMarkedSection } from './lib/markers';
import { startBenchHub } from './lib/processes';
import { machine } from './lib/report';

const opts = new Command()
  .name('bench-subscriptions')
  .option('--postgres <url>', 'PostgreSQL server (a database per run is created there and dropped)', 'postgres://postgres@127.0.0.1:5432/postgres')
  .option('--rate <n>', 'Task writes per second', '300')
  .option('--seconds <n>', 'seconds of writing', '60')
  .option('--subscriptions <n>', 'active subscriptions, each with its own receiver', '100')
  .option('--no-write', 'print only')
  .parse()
  .opts<{ postgres: string; rate: string; seconds: string; subscriptions: string; write: boolean }>();

const BP = 'http://hl7.org/fhir/uv/subscriptions-backport/StructureDefinition';
const arrivals = new Map<string, number[]>();

/** One receiver per subscription; records when each Task's notification arrives. */
async function startReceiver(kind: 'criteria' | 'topic'): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      const body = Buffer.concat(chunks).toString('utf8');
      const ids: string[] = [];
      if (kind === 'criteria') {
        const m = /\/Task\/([^/?]+)$/.exec(req.url ?? '');
        if (m) ids.push(m[1]);
      } else if (body.startsWith('{')) {
        for (const m of body.matchAll(/"reference":"[^"]*\/Task\/([^"]+)"/g)) ids.push(m[1]);
      }
      for (const id of ids) arrivals.set(id, [...(arrivals.get(id) ?? []), at]);
      res.writeHead(200).end();
    });
  });
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

function subscription(i: number, endpoint: string, kind: 'criteria' | 'topic'): Record<string, unknown> {
  const owner = `Organization/bench-org-${i}`;
  if (kind === 'criteria') return { resourceType: 'Subscription', status: 'requested', reason: 'bench', criteria: `Task?owner=${owner}`, channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json' } };
  return {
    resourceType: 'Subscription',
    meta: { profile: [`${BP}/backport-subscription`] },
    status: 'requested',
    reason: 'bench',
    criteria: 'https://fhir-hub.fr/SubscriptionTopic/task-changed',
    _criteria: { extension: [{ url: `${BP}/backport-filter-criteria`, valueString: `Task?owner=${owner}` }] },
    channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json', _payload: { extension: [{ url: `${BP}/backport-payload-content`, valueCode: 'id-only' }] } },
  };
}

async function post(base: string, type: string, body: unknown): Promise<{ status: number; id?: string }> {
  const res = await fetch(`${base}/fhir/${type}`, { method: 'POST', headers: { 'content-type': 'application/fhir+json', prefer: 'return=minimal' }, body: JSON.stringify(body) });
  await res.arrayBuffer();
  const location = res.headers.get('location') ?? '';
  return { status: res.status, id: /\/([^/]+)\/_history\//.exec(location)?.[1] };
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

interface Sample {
  second: number;
  unmatched: number;
  pending: number;
}

async function main(): Promise<void> {
  const rate = Number(opts.rate);
  const seconds = Number(opts.seconds);
  const count = Number(opts.subscriptions);
  const pg = await postgresFacts(opts.postgres);
  const scratch = await createPostgresDatabase(opts.postgres, 'subs');
  const hub = await startBenchHub(scratch.env, { SUBSCRIPTION_ENDPOINT_ALLOW: 'http://127.0.0.1' });
  const receivers = await Promise.all(Array.from({ length: count }, (_, i) => startReceiver(i % 2 === 0 ? 'criteria' : 'topic')));
  const subIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const r = await post(hub.url, 'Subscription', subscription(i, receivers[i].url, i % 2 === 0 ? 'criteria' : 'topic'));
    if (r.status !== 201 || !r.id) throw new Error(`Subscription ${i}: ${r.status}`);
    subIds.push(r.id);
  }
  const db = new Client({ connectionString: scratch.env.DATABASE_URL });
  await db.connect();
  for (const deadline = Date.now() + 60_000; ; ) {
    const r = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM resource WHERE res_type = 'Subscription' AND content::jsonb->>'status' = 'active'`);
    if (r.rows[0].n === count) break;
    if (Date.now() > deadline) throw new Error(`only ${r.rows[0].n} of ${count} subscriptions became active`);
    await new Promise((res) => setTimeout(res, 200));
  }
  console.log(`${count} subscriptions active; writing ${rate} Tasks/s for ${seconds} s…`);

  const written = new Map<string, number>();
  const writeLatencies: number[] = [];
  let failures = 0;
  let inFlight = 0;
  let k = 0;
  const samples: Sample[] = [];
  const start = Date.now();
  const sampler = setInterval(async () => {
    const u = await db.query<{ n: number }>(`SELECT coalesce((SELECT max(seq) FROM outbox), 0) - (SELECT last_seq FROM subscription_cursor WHERE name = 'outbox') AS n`);
    const p = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM subscription_notification WHERE state = 'pending'`);
    samples.push({ second: Math.round((Date.now() - start) / 1000), unmatched: Number(u.rows[0].n), pending: Number(p.rows[0].n) });
  }, 5_000);
  const pending: Promise<void>[] = [];
  // Open loop: writes are due at a fixed pace whatever the hub's answer time (up to 256 in flight).
  while (Date.now() - start < seconds * 1000) {
    const due = Math.floor(((Date.now() - start) / 1000) * rate);
    while (k < due && inFlight < 256) {
      const i = k++;
      inFlight++;
      const t0 = Date.now();
      pending.push(
        post(hub.url, 'Task', { resourceType: 'Task', status: 'requested', intent: 'order', owner: { reference: `Organization/bench-org-${i % count}` }, description: `bench ${i}` })
          .then((r) => {
            if (r.status === 201 && r.id) {
              written.set(r.id, Date.now());
              writeLatencies.push(Date.now() - t0);
            } else failures++;
          })
          .catch(() => void failures++)
          .finally(() => void inFlight--),
      );
    }
    await new Promise((res) => setTimeout(res, 5));
  }
  await Promise.all(pending);
  const writeSeconds = (Date.now() - start) / 1000;
  const drainStart = Date.now();
  while (Date.now() - drainStart < 120_000) {
    let missing = 0;
    for (const id of written.keys()) if (!arrivals.has(id)) missing++;
    if (missing === 0) break;
    await new Promise((res) => setTimeout(res, 250));
  }
  const drainSeconds = (Date.now() - drainStart) / 1000;
  clearInterval(sampler);

  const latencies: number[] = [];
  let duplicates = 0;
  let lost = 0;
  for (const [id, at] of written) {
    const got = arrivals.get(id);
    if (!got) lost++;
    else {
      latencies.push(got[0] - at);
      duplicates += got.length - 1;
    }
  }
  latencies.sort((a, b) => a - b);
  writeLatencies.sort((a, b) => a - b);
  const half = Math.floor(samples.length / 2);
  const avg = (xs: Sample[]) => xs.reduce((s, x) => s + x.unmatched + x.pending, 0) / Math.max(1, xs.length);
  const result = {
    writesPerSecond: written.size / writeSeconds,
    writeP50: pct(writeLatencies, 50),
    writeP99: pct(writeLatencies, 99),
    deliveryP50: pct(latencies, 50),
    deliveryP99: pct(latencies, 99),
    deliveryMax: latencies.at(-1) ?? NaN,
    failures,
    lost,
    duplicates,
    drainSeconds,
    backlogFirstHalf: avg(samples.slice(0, half)),
    backlogSecondHalf: avg(samples.slice(half)),
  };
  console.log(JSON.stringify({ ...result, samples }, null, 1));
  await db.end();
  await hub.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await scratch.drop();

  const lines = [
    `Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC, \`npm run bench:subscriptions -- --rate ${rate} --seconds ${seconds} --subscriptions ${count}\`:`,
    '',
    ...machine(pg),
    '',
    `One hub process on PostgreSQL (AUTH=off: the delivery machinery is measured), ${count} active subscriptions (half R4 criteria \`Task?owner=…\` with full-resource PUTs, half backport topic task-changed with id-only Bundles), each with its own HTTP receiver on loopback; Task writes spread over the ${count} owners, so each write makes one notification.`,
    '',
    '| Figure | Value |',
    '|---|---|',
    `| Writes held (target ${rate}/s) | ${result.writesPerSecond.toFixed(0)}/s for ${writeSeconds.toFixed(0)} s, ${failures} failed; write p50 ${result.writeP50} ms, p99 ${result.writeP99} ms |`,
    `| Delivery latency (write answered → received) | median ${result.deliveryP50} ms, p99 ${result.deliveryP99} ms, max ${result.deliveryMax} ms |`,
    `| Notifications | ${written.size - lost} of ${written.size} received, ${duplicates} duplicates, ${lost} lost |`,
    `| Backlog (unmatched outbox events + pending notifications, sampled every 5 s) | first half avg ${result.backlogFirstHalf.toFixed(0)}, second half avg ${result.backlogSecondHalf.toFixed(0)}; series ${samples.map((s) => s.unmatched + s.pending).join(', ')} |`,
    `| Drained after the last write | ${drainSeconds.toFixed(1)} s |`,
  ];
  if (opts.write) writeMarkedSection('bench-subscriptions', 'Subscriptions under load', lines.join('\n'));
}

main()
  .catch((err) => {
    console.error(err);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
