// The benchmark's yardstick: Express + pg storing the same JSON in one plain table, with no FHIR logic
// (no validation, versions, history, search index or outbox). What the hub costs is measured against it.
// Run: PORT=9090 DATABASE_URL=postgres://postgres@127.0.0.1:5432/some_db npx tsx bench/baseline-server.ts
import { randomUUID } from 'node:crypto';
import express from 'express';
import { Pool } from 'pg';

const port = Number(process.env.PORT ?? 9090);
const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 20) });
pool.on('error', () => undefined);

const app = express();
app.disable('x-powered-by');
app.set('etag', false);
app.use(express.json({ type: () => true, limit: '64mb' }));

// Batched insert: every resource of a posted Bundle in one INSERT (one transaction); answers the ids in entry order.
app.post('/bulk', async (req, res) => {
  const entries = (req.body?.entry ?? []) as { resource?: { resourceType: string; id?: string } }[];
  const resources = entries.filter((e) => e.resource).map((e) => ({ ...e.resource!, id: randomUUID() }));
  await pool.query('INSERT INTO plain_resource (id, type, content) SELECT * FROM unnest($1::text[], $2::text[], $3::text[])', [
    resources.map((r) => r.id),
    resources.map((r) => r.resourceType),
    resources.map((r) => JSON.stringify(r)),
  ]);
  res.json({ ids: resources.map((r) => `${r.resourceType}/${r.id}`) });
});

// Single-row commit: one resource, one autocommitted INSERT.
app.post('/:type', async (req, res) => {
  const resource = { ...req.body, id: randomUUID() };
  await pool.query('INSERT INTO plain_resource (id, type, content) VALUES ($1, $2, $3)', [resource.id, req.params.type, JSON.stringify(resource)]);
  res.status(201).setHeader('Location', `/${req.params.type}/${resource.id}`).end();
});

// Read by id: the stored text sent as it is.
app.get('/:type/:id', async (req, res) => {
  const r = await pool.query<{ content: string }>('SELECT content FROM plain_resource WHERE type = $1 AND id = $2', [req.params.type, req.params.id]);
  if (r.rows.length === 0) return void res.status(404).end();
  res.type('application/json').send(r.rows[0].content);
});

app.get('/readyz', (_req, res) => void res.json({ status: 'ready' }));

async function main(): Promise<void> {
  await pool.query('CREATE TABLE IF NOT EXISTS plain_resource (id text PRIMARY KEY, type text NOT NULL, content text NOT NULL)');
  const server = app.listen(port, '127.0.0.1');
  const stop = () => server.close(() => void pool.end().then(() => process.exit(0)));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
