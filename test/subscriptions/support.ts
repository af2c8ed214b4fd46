// Test helpers for subscriptions: real HTTP receivers on 127.0.0.1, hubs with a running worker, bounded waits.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import supertest from 'supertest';
import { loadConfig } from '../../src/config';
import type { HubContext } from '../../src/fhir/hub-context';
import { openHub } from '../../src/hub';
import { createApp } from '../../src/server/app';
import type { Db } from '../../src/store/db';
import { startSubscriptions, type StartOptions, type SubscriptionsHandle } from '../../src/subscriptions';
import { createTestDb, type Engine, type TestDb } from '../support/test-db';

export interface Received {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

/** An HTTP server recording every request; `status` decides the answer; it can go down and come back on the same port. */
export class Receiver {
  readonly requests: Received[] = [];
  status = 200;
  private server?: http.Server;
  port = 0;

  async start(port = 0): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.requests.push({ method: req.method!, url: req.url!, headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() });
        res.statusCode = this.status;
        res.end();
      });
    });
    this.server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Requests that carry an event (not the handshake or heartbeats). */
  bundles(): { type: string; bundle: any }[] {
    return this.requests.filter((r) => r.body.startsWith('{') && JSON.parse(r.body).resourceType === 'Bundle').map((r) => {
      const bundle = JSON.parse(r.body);
      const type = bundle.entry[0].resource.parameter.find((p: any) => p.name === 'type').valueCode;
      return { type, bundle };
    });
  }
}

export interface SubHub {
  ctx: HubContext;
  app: Express;
  api: ReturnType<typeof supertest>;
  subs: SubscriptionsHandle;
  close(): Promise<void>;
}

/** Fast settings for tests: loopback allowed, short polls and back-off. */
export function testOptions(extra: StartOptions = {}): StartOptions {
  return {
    endpointAllow: ['http://127.0.0.1'],
    pollIntervalMs: 100,
    requestTimeoutMs: 2_000,
    retry: { initialDelayMs: 50, maxDelayMs: 200, giveUpAfterMs: 60_000 },
    ...extra,
  };
}

/** A hub on `db` (migrated) with its subscription worker. */
export async function hubOn(db: Db, options: StartOptions = testOptions()): Promise<SubHub> {
  // AUTH off as in the API suites: these tests are about delivery, not access control.
  const hub = await openHub(loadConfig({ DEMO: '0', BASE_URL: 'http://localhost:8080/fhir', AUTH: 'off', RATE_LIMIT_PER_MINUTE: '0' }), db);
  const app = createApp(hub.ctx, { ready: async () => true });
  const subs = startSubscriptions(hub.ctx, options);
  const close = async () => {
    await subs.stop();
    await hub.security?.close();
  };
  return { ctx: hub.ctx, app, api: supertest(app), subs, close };
}

export async function startSubHub(engine: Engine, options?: StartOptions): Promise<{ hub: SubHub; testDb: TestDb; close(): Promise<void> }> {
  const testDb = await createTestDb(engine);
  const hub = await hubOn(testDb.db, options);
  return {
    hub,
    testDb,
    close: async () => {
      await hub.close();
      await testDb.drop();
    },
  };
}

/** The engines to run on: both, unless SKIP_POSTGRES=1 outside CI. */
export function engines(): Engine[] {
  const skip = process.env.SKIP_POSTGRES === '1' && process.env.CI !== 'true';
  return skip ? ['pglite'] : ['pglite', 'postgres'];
}

export async function waitFor<T>(what: string, probe: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > until) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export async function create(h: { api: SubHub['api'] }, resource: Record<string, unknown>): Promise<string> {
  const res = await h.api.post(`/fhir/${resource.resourceType}`).set('Content-Type', 'application/fhir+json').send(JSON.stringify(resource));
  if (res.status !== 201) throw new Error(`create ${resource.resourceType} gave ${res.status}: ${res.text}`);
  return res.body.id as string;
}

export async function readStatus(h: { api: SubHub['api'] }, id: string): Promise<{ status: string; error?: string }> {
  const res = await h.api.get(`/fhir/Subscription/${id}`);
  return { status: res.body.status, error: res.body.error };
}

/** Creates a Subscription and waits until the worker has made it active. */
export async function activeSubscription(h: SubHub, sub: Record<string, unknown>): Promise<string> {
  const id = await create(h, { resourceType: 'Subscription', status: 'requested', reason: 'test', ...sub });
  await waitFor(`Subscription/${id} active`, async () => (await readStatus(h, id)).status === 'active');
  return id;
}

export function task(owner: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { resourceType: 'Task', status: 'requested', intent: 'order', owner: { reference: owner }, ...extra };
}

export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
