// A rest-hook receiver on 127.0.0.1 for end-to-end tests: records every request; can go down and come back on its port.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { sleep } from './hub-process';

export interface Received {
  method: string;
  url: string;
  at: number;
}

export class Receiver {
  received: Received[] = [];
  private server?: http.Server;
  constructor(readonly port: number) {}

  async up(): Promise<void> {
    this.server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        this.received.push({ method: req.method!, url: req.url!, at: Date.now() });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    if ((this.server.address() as AddressInfo).port !== this.port) throw new Error(`receiver could not take port ${this.port}`);
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    s?.closeAllConnections();
    await new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve()));
  }
}

export async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

/** Creates an R4 rest-hook Subscription on a running hub and waits for its handshake to make it active. */
export async function activeRestHook(origin: string, criteria: string, endpoint: string, reason = 'e2e'): Promise<string> {
  const res = await fetch(`${origin}/fhir/Subscription`, {
    method: 'POST',
    headers: { 'content-type': 'application/fhir+json' },
    body: JSON.stringify({ resourceType: 'Subscription', status: 'requested', reason, criteria, channel: { type: 'rest-hook', endpoint, payload: 'application/fhir+json' } }),
  });
  if (res.status !== 201) throw new Error(`Subscription create gave ${res.status}: ${await res.text()}`);
  const { id } = (await res.json()) as { id: string };
  await waitFor(`Subscription/${id} active`, async () => ((await (await fetch(`${origin}/fhir/Subscription/${id}`)).json()) as { status: string }).status === 'active');
  return id;
}
