// `fhir-hub serve`: open the hub, load the demo territory on first start, serve until a signal.
import type { HubConfig } from '../config';
import { describeMissing } from '../conformance/packages';
import { openHub } from '../hub';
import { loadDemoIfEmpty } from '../loaders/demo';
import { logger } from '../logger';
import { checkAuthPolicy, securityBanner } from '../security/startup';
import { serve } from '../server/serve';
import { startSubscriptions, WebsocketChannel } from '../subscriptions';
import { startMailBridge } from '../connectors/mail';

export async function runServe(config: HubConfig): Promise<void> {
  checkAuthPolicy(config);
  const hub = await openHub(config);
  const missing = describeMissing(hub.validation.registry?.missingDependencies() ?? []);
  if (missing.length) logger.warn({ missing }, `${missing.length} FHIR dependency packages are missing: what depends on them is not checked (FHIR_PACKAGE_PATH adds folders)`);
  if (config.loadDemo) await loadDemoIfEmpty(hub.ctx);
  const running = await serve(hub, config.port, config.host);
  const subscriptions = config.subscriptions.enabled ? startSubscriptions(hub.ctx, config.subscriptions.options) : undefined;
  const mail = await startMailBridge(hub.ctx); // MAIL_* settings, off unless set (docs/mail-bridge.md)
  // Every replica takes websockets: a client bound to any of them is told of events matched by any other.
  const websockets = new WebsocketChannel(hub.ctx, { allowPlainBind: !config.security.authEnabled });
  websockets.attach(running.server);
  const engine = config.databaseUrl ? 'PostgreSQL' : `PGlite in ${config.dataDir}`;
  logger.info({ port: config.port, engine }, `fhir-hub listening: ${config.baseUrl}/metadata`);
  securityBanner(config);
  const onSignal = (signal: string) => {
    logger.info({ signal }, 'signal received');
    // The worker stops first: what it has not delivered stays in the database for the next start.
    Promise.all([subscriptions?.stop(), mail?.stop(), websockets.close()])
      .then(() => running.stop())
      .then(
        () => process.exit(0),
        (err) => (logger.error({ err }, 'shutdown failed'), process.exit(1)),
      );
  };
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
}
