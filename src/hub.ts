// Assembles the hub: storage engine, migrations, search registry, validator.
import fs from 'node:fs';
import type { HubConfig } from './config';
import { validateBase } from './conformance/base';
import { resourceTypes } from './fhir/definitions';
import { issue } from './fhir/errors';
import type { HubContext, ResourceValidator } from './fhir/hub-context';
import { baseSearchParams } from './fhir/search/registry';
import { loadStoredSearchParameters } from './fhir/search/stored-params';
import type { Db } from './store/db';
import { migrate } from './store/migrate';
import { openSecurity, type HubSecurity } from './security';
import { openPglite } from './store/pglite';
import { openPostgres } from './store/postgres';

export interface Hub {
  ctx: HubContext;
  security: HubSecurity;
  close(): Promise<void>;
}

export async function openDatabase(config: HubConfig): Promise<Db> {
  if (config.databaseUrl) return openPostgres(config.databaseUrl, config.databasePoolSize);
  fs.mkdirSync(config.dataDir, { recursive: true });
  return openPglite(config.dataDir);
}

export const baseValidator: ResourceValidator = (resource) =>
  validateBase(resource).map((i) => issue({ severity: i.severity, code: i.code as never, text: i.diagnostics, expression: i.expression }));

export async function openHub(config: HubConfig, db?: Db): Promise<Hub> {
  const database = db ?? (await openDatabase(config));
  await migrate(database);
  const registry = baseSearchParams(resourceTypes()).extend();
  await loadStoredSearchParameters(database, registry);
  const ctx: HubContext = {
    config,
    db: database,
    registry,
    validate: baseValidator,
    now: () => new Date(),
  };
  const security = await openSecurity(ctx);
  ctx.guard = security.guard;
  const close = async () => {
    await security.close();
    await database.close();
  };
  return { ctx, security, close };
}
