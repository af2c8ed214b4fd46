// Graceful shutdown: SIGTERM while a large transaction is in flight. The hub stops accepting
// connections, the transaction completes and is answered, then the process exits 0.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { SYNTHEA_DIR, killAll, sleep, startHub, waitForExit } from './support/hub-process';
import { createEmptyPostgresDb, type EmptyPostgresDb } from './support/postgres-db';

jest.setTimeout(120_000);

let db: EmptyPostgresDb;
beforeAll(async () => (db = await createEmptyPostgresDb()));
afterAll(async () => {
  await killAll();
  await db?.drop();
});

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/** Starts a POST whose body the caller sends when it wants: the request is in flight in between. */
function slowPost(url: string, agent: http.Agent, length: number): { req: http.ClientRequest; answer: Promise<Answer> } {
  const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/fhir+json', 'content-length': length } });
  const answer = new Promise<Answer>((resolve, reject) => {
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
  return { req, answer };
}

const canConnect = (port: number) =>
  new Promise<boolean>((resolve) => {
    const r = http.get({ host: '127.0.0.1', port, path: '/healthz', agent: false }, (res) => (res.resume(), resolve(true)));
    r.on('error', () => resolve(false));
    r.setTimeout(2_000, () => (r.destroy(), resolve(false)));
  });

it('finishes the transaction in flight, answers it, then exits 0', async () => {
  const file = path.join(SYNTHEA_DIR, '0696ac49-3128-87d3-7344-04510aa4f324.json.bz2');
  const bundle = JSON.parse(execFileSync('bzip2', ['-dc', file], { maxBuffer: 256 * 1024 * 1024 }).toString('utf8'));
  // The conditional references name practitioners and organizations this empty database lacks.
  const body = Buffer.from(JSON.stringify(bundle).replace(/"reference":"(\w+)\?identifier=[^"]*"/g, '"reference":"$1/elsewhere"'));
  const hub = await startHub({ DATABASE_URL: db.url, DEMO: '0' });
  // A keep-alive client, as most are: its idle connection must not hold the shutdown back.
  const agent = new http.Agent({ keepAlive: true });
  try {
    const { req, answer } = slowPost(`${hub.origin}/fhir`, agent, body.length);
    req.write(body.subarray(0, body.length / 2));
    await sleep(500);
    hub.child.kill('SIGTERM');
    await sleep(500);
    expect(hub.child.exitCode).toBeNull();
    expect(await canConnect(hub.port)).toBe(false);

    req.end(body.subarray(body.length / 2));
    const res = await answer;
    expect(res.status).toBe(200);
    expect(res.headers.connection).toBe('close');
    const response = JSON.parse(res.body);
    expect(response.type).toBe('transaction-response');
    expect(response.entry).toHaveLength(bundle.entry.length);
    expect(response.entry.every((e: { response: { status: string } }) => e.response.status.startsWith('201'))).toBe(true);

    expect(await waitForExit(hub, 20_000)).toEqual({ code: 0, signal: null });
    const [{ n }] = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM resource');
    expect(n).toBe(bundle.entry.length);
  } finally {
    agent.destroy();
  }
});
