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
import WebSocket from 'ws';
import { startSubscriptions, WebsocketChannel, WEBSOCKET_PATH, type StartOptions, type WebsocketChannelOptions, type SubscriptionsHandle } from '../../src/subscriptions';
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

/** A hub on `db` (migrated) with its subscription worker, or without (`worker: false`, a SUBSCRIPTIONS=off replica). */
export async function hubOn(db: Db, options: StartOptions = testOptions(), worker = true): Promise<SubHub> {
  // AUTH off as in the API suites: these tests are about delivery, not access control.
  const allow = (options.endpointAllow ?? []).join(',');
  const env = { DEMO: '0', BASE_URL: 'http://localhost:8080/fhir', AUTH: 'off', RATE_LIMIT_PER_MINUTE: '0', SUBSCRIPTION_ENDPOINT_ALLOW: allow };
  const hub = await openHub(loadConfig(env), db);
  const app = createApp(hub.ctx, { ready: async () => true });
  const subs = worker ? startSubscriptions(hub.ctx, options) : { stop: async () => undefined, wake: () => undefined, topics: new Map(), options: options as SubscriptionsHandle['options'] };
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

/** The app on a real port with the websocket channel attached, as `fhir-hub serve` runs it. */
export async function listenWithWebsockets(ctx: HubContext, app: Express, options: WebsocketChannelOptions): Promise<{ wsUrl: string; close(): Promise<void> }> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const channel = new WebsocketChannel(ctx, options);
  channel.attach(server);
  const { port } = server.address() as AddressInfo;
  return {
    wsUrl: `ws://127.0.0.1:${port}${WEBSOCKET_PATH}`,
    close: async () => {
      await channel.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A websocket client keeping every text message it receives. */
export class SocketClient {
  readonly messages: { text: string; at: number }[] = [];
  private constructor(readonly socket: WebSocket) {
    socket.on('message', (data) => this.messages.push({ text: data.toString(), at: Date.now() }));
  }

  static async open(url: string): Promise<SocketClient> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once('open', () => resolve());
      socket.once('error', reject);
    });
    return new SocketClient(socket);
  }

  send(text: string): void {
    this.socket.send(text);
  }

  /** Parsed notification Bundles with their status type (handshake, heartbeat, event-notification). */
  bundles(): { type: string; bundle: any; at: number }[] {
    return this.messages
      .filter((m) => m.text.startsWith('{'))
      .map((m) => {
        const bundle = JSON.parse(m.text);
        return { type: bundle.entry[0].resource.parameter.find((p: any) => p.name === 'type').valueCode, bundle, at: m.at };
      });
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}

/** The event numbers and focus references of a notification Bundle. */
export function eventsOf(bundle: any): { number: number; focus: string }[] {
  const status = bundle.entry[0].resource;
  return status.parameter
    .filter((p: any) => p.name === 'notification-event')
    .map((p: any) => ({
      number: Number(p.part.find((x: any) => x.name === 'event-number').valueString),
      focus: p.part.find((x: any) => x.name === 'focus')?.valueReference?.reference,
    }));
}
