// The websocket channel (FHIR R4 §2.46.7.2 "websocket": bind / bound / ping; Backport IG "Channels: websocket":
// bind-with-token, then handshake, event-notification and heartbeat Bundles on the socket).
import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { HubContext } from '../fhir/hub-context';
import { logger } from '../logger';
import { parseSubscription, type ParsedSubscription } from './model';
import { notificationBundle } from './notification-bundle';
import { MAX_EVENTS_PER_CALL, subscriptionEvents } from './operations';
import { WEBSOCKET_PATH } from './routes';
import { eventsSinceStart } from './status';
import { listenQueued } from './wakeups';
import { redeemBindingToken } from './websocket-tokens';

/** Sockets that do not answer a ping within this period are closed (and their clients reconnect). */
const PING_INTERVAL_MS = 30_000;

interface Binding {
  socket: WebSocket;
  sub: ParsedSubscription;
  /** The last event number this socket was sent; later ones are sent in order. */
  lastSent: number;
  /** Sends run one after another, so events never overtake each other. */
  queue: Promise<void>;
  heartbeat?: NodeJS.Timeout;
}

export interface WebsocketChannelOptions {
  /** `bind <id>` without a token: only where nothing is authenticated (AUTH=off). */
  allowPlainBind: boolean;
  /** Bound subscriptions are checked for new events this often even without a wake-up (a NOTIFY lost on reconnection). */
  catchUpMs?: number;
}

export class WebsocketChannel {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  private readonly bySub = new Map<string, Set<Binding>>();
  private readonly alive = new WeakSet<WebSocket>();
  private unlisten?: Promise<() => Promise<void>>;
  private timers: NodeJS.Timeout[] = [];

  constructor(
    private readonly ctx: HubContext,
    private readonly options: WebsocketChannelOptions,
  ) {}

  /** Takes the upgrade requests for WEBSOCKET_PATH on this HTTP server and starts listening for new events. */
  attach(server: HttpServer): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (new URL(req.url ?? '/', 'http://x').pathname !== WEBSOCKET_PATH) return socket.destroy();
      this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws));
    });
    this.unlisten = listenQueued(this.ctx.db, (ids) => this.wake(ids)).catch((err) => {
      logger.error({ err }, 'websocket channel cannot LISTEN; it catches up by polling');
      return async () => undefined;
    });
    this.timers.push(setInterval(() => this.pingAll(), PING_INTERVAL_MS).unref());
    this.timers.push(setInterval(() => this.wake(undefined), this.options.catchUpMs ?? 2_000).unref());
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearInterval(t);
    for (const set of this.bySub.values()) for (const b of set) clearInterval(b.heartbeat);
    for (const ws of this.wss.clients) ws.close(1001, 'server shutting down');
    await (await this.unlisten)?.();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private accept(ws: WebSocket): void {
    this.alive.add(ws);
    ws.on('pong', () => this.alive.add(ws));
    // Messages are answered in the order they came.
    let replies = Promise.resolve();
    ws.on('message', (data, isBinary) => {
      const text = data.toString();
      replies = replies
        .then(() => (isBinary ? ws.send('error binary messages are not understood') : this.onMessage(ws, text)))
        .catch((err) => {
          logger.error({ err }, 'websocket message failed');
          ws.send('error the hub could not process this message');
        });
    });
    ws.on('close', () => this.unbind(ws));
    ws.on('error', () => this.unbind(ws));
  }

  private async onMessage(ws: WebSocket, text: string): Promise<void> {
    const [command, arg] = text.trim().split(/\s+/, 2);
    if (command === 'bind-with-token') {
      const ids = arg ? await redeemBindingToken(this.ctx.db, arg) : undefined;
      if (!ids) return ws.send('error the token is unknown, used or expired: ask Subscription/$get-ws-binding-token for a new one');
      for (const id of ids) await this.bind(ws, id);
    } else if (command === 'bind') {
      if (!this.options.allowPlainBind) return ws.send('error this hub binds with a token only: bind-with-token <token> (Subscription/[id]/$get-ws-binding-token)');
      if (!arg) return ws.send('error bind needs a subscription id');
      await this.bind(ws, arg);
    } else {
      ws.send(`error unknown command "${command ?? ''}": use bind-with-token <token>`);
    }
  }

  private async bind(ws: WebSocket, id: string): Promise<void> {
    const r = await this.ctx.db.query<{ version: number; content: string; n: number | null }>(
      `SELECT r.version, r.content, s.events_since_start AS n FROM resource r LEFT JOIN subscription_state s ON s.sub_id = r.id
        WHERE r.res_type = 'Subscription' AND r.id = $1 AND NOT r.deleted`,
      [id],
    );
    const row = r.rows[0];
    if (!row) return void ws.send(`error Subscription/${id} is not known`);
    const sub = parseSubscription(JSON.parse(row.content), Number(row.version));
    if (sub.channelType !== 'websocket') return void ws.send(`error Subscription/${id} does not use a websocket channel`);
    const eventsSinceStart = Number(row.n ?? 0);
    // Events before the binding are for $events: a client knows its last event number, the hub does not.
    const binding: Binding = { socket: ws, sub, lastSent: eventsSinceStart, queue: Promise.resolve() };
    let set = this.bySub.get(id);
    if (!set) this.bySub.set(id, (set = new Set()));
    set.add(binding);
    if (sub.kind === 'topic') {
      const status = sub.status === 'off' || sub.status === 'error' ? sub.status : 'active';
      ws.send(JSON.stringify(notificationBundle({ sub, baseUrl: this.ctx.config.baseUrl, status, type: 'handshake', eventsSinceStart, events: [], content: sub.content })));
      if (sub.heartbeatSeconds) binding.heartbeat = setInterval(() => this.heartbeat(binding), sub.heartbeatSeconds * 1000).unref();
    } else {
      ws.send(`bound ${id}`);
    }
  }

  private unbind(ws: WebSocket): void {
    for (const [id, set] of this.bySub) {
      for (const b of set) {
        if (b.socket !== ws) continue;
        clearInterval(b.heartbeat);
        set.delete(b);
      }
      if (set.size === 0) this.bySub.delete(id);
    }
  }

  private wake(ids: string[] | undefined): void {
    for (const id of ids ?? [...this.bySub.keys()]) for (const b of this.bySub.get(id) ?? []) this.enqueue(b, () => this.flush(b));
  }

  private enqueue(b: Binding, work: () => Promise<void>): void {
    b.queue = b.queue.then(work).catch((err) => logger.error({ err, subscription: b.sub.id }, 'websocket notification failed'));
  }

  /** Sends what was recorded after lastSent: a ping per event (R4 criteria) or an event-notification Bundle (topic). */
  private async flush(b: Binding): Promise<void> {
    if (b.socket.readyState !== b.socket.OPEN) return;
    const latest = await eventsSinceStart(this.ctx.db, b.sub.id);
    while (b.lastSent < latest) {
      const until = Math.min(latest, b.lastSent + MAX_EVENTS_PER_CALL);
      const bundle = await subscriptionEvents(this.ctx, b.sub.id, { eventsSinceNumber: b.lastSent + 1, eventsUntilNumber: until }, 'event-notification');
      if (b.sub.kind === 'topic') b.socket.send(JSON.stringify(bundle));
      else for (let n = b.lastSent + 1; n <= until; n++) b.socket.send(`ping ${b.sub.id}`);
      b.lastSent = until;
    }
  }

  private heartbeat(b: Binding): void {
    this.enqueue(b, async () => {
      if (b.socket.readyState !== b.socket.OPEN) return;
      const bundle = notificationBundle({ sub: b.sub, baseUrl: this.ctx.config.baseUrl, status: 'active', type: 'heartbeat', eventsSinceStart: b.lastSent, events: [], content: b.sub.content });
      b.socket.send(JSON.stringify(bundle));
    });
  }

  private pingAll(): void {
    for (const ws of this.wss.clients) {
      if (!this.alive.has(ws)) {
        ws.terminate();
        continue;
      }
      this.alive.delete(ws);
      ws.ping();
    }
  }
}
