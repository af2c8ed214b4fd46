// Operations endpoints: /healthz (the process answers) and /readyz (the database answers), outside /fhir.
import supertest from 'supertest';
import { createApp } from '../../src/server/app';
import { startTestHub, type TestHub } from '../support/test-hub';

let t: TestHub;
beforeAll(async () => (t = await startTestHub()));
afterAll(async () => t.close());

it('/healthz answers 200 with a status and a request id', async () => {
  const res = await t.api.get('/healthz');
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ status: 'ok' });
  expect(res.headers['x-request-id']).toMatch(/^[\w.-]+$/);
});

it('/readyz answers 200 when the database answers', async () => {
  const app = createApp(t.ctx, { ready: async () => (await t.ctx.db.query('SELECT 1')).rowCount === 1 });
  const res = await supertest(app).get('/readyz');
  expect(res.status).toBe(200);
  expect(res.body).toEqual({ status: 'ready' });
});

it('/readyz answers 503 when the database does not answer, or the check fails', async () => {
  const down = createApp(t.ctx, { ready: async () => false });
  expect((await supertest(down).get('/readyz')).status).toBe(503);
  const broken = createApp(t.ctx, { ready: async () => Promise.reject(new Error('connection refused')) });
  const res = await supertest(broken).get('/readyz');
  expect(res.status).toBe(503);
  expect(res.body).toEqual({ status: 'not ready' });
});

it('keeps a valid client request id and replaces an unsafe one', async () => {
  expect((await t.api.get('/healthz').set('X-Request-Id', 'abc-123')).headers['x-request-id']).toBe('abc-123');
  expect((await t.api.get('/healthz').set('X-Request-Id', 'bad id; x=1')).headers['x-request-id']).not.toContain('bad');
});
