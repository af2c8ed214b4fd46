// Assembles the hub: storage engine, migrations, search registry, validator, the packages' conformance resources.
import fs from 'node:fs';
import type { HubConfig } from './config';
import { openValidation, type HubValidation } from './conformance/hub-validation';
import { TerminologyService } from './conformance/terminology-service';
import { resourceTypes } from './fhir/definitions';
import type { HubContext } from './fhir/hub-context';
import { storePackageResources } from './fhir/package-resources';
import { registerPackageSearchParameters } from './fhir/search/package-params';
import { baseSearchParams } from './fhir/search/registry';
import { loadStoredSearchParameters } from './fhir/search/stored-params';
import type { Db } from './store/db';
import { migrate } from './store/migrate';
import { openSecurity, type HubSecurity } from './security';
import { openPglite } from './store/pglite';
import { openPostgres } from './store/postgres';
import { installSubscriptions } from './subscriptions/install';
import { installLetters } from './workflows/liaison/install';
import { installMessaging } from './workflows/messaging/install';

export { baseValidator } from './conformance/hub-validation';

export interface Hub {
  ctx: HubContext;
  security: HubSecurity;
  validation: HubValidation;
  close(): Promise<void>;
}

export async function openDatabase(config: HubConfig): Promise<Db> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, config.databasePoolSize);
  fs.mkdirSync(config.dataDir, { recursive: true });
  return openPglite(config.dataDir);
}

export async function openHub(config: HubConfig, db?: Db): Promise<Hub> {
  const database = db ?? (await openDatabase(config));
  await migrate(database);
  const registry = baseSearchParams(resourceTypes()).extend();
  await loadStoredSearchParameters(database, registry);
  const validation = openValidation(config.validation);
  if (validation.registry) registerPackageSearchParameters(registry, validation.registry);
  const ctx: HubContext = {
    config,
    db: database,
    registry,
    validate: validation.validate,
    knowsProfile: (canonical) => validation.validator?.registry.resolve(canonical)?.resource.resourceType === 'StructureDefinition',
    terminology: new TerminologyService(validation.registry),
    now: () => new Date(),
  };
  if (config.validation.packageResources && validation.registry) await storePackageResources(ctx, validation.registry);
  const security = await openSecurity(ctx);
  ctx.guard = security.guard;
  installSubscriptions(ctx);
  installLetters(ctx);
  installMessaging(ctx);
  const close = async () => {
    await security.close();
    await database.close();
  };
  return { ctx, security, validation, close };
}
