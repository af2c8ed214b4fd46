// The real Express app on a fresh database, for API tests through supertest.
import type { Express } from 'express';
import supertest from 'supertest';
import { loadConfig } from '../../src/config';
import type { HubContext } from '../../src/fhir/hub-context';
import { openHub, type Hub } from '../../src/hub';
import { createApp } from '../../src/server/app';
import { createTestDb, type TestDb } from './test-db';

export const BASE = 'http://localhost:8080/fhir';

export interface TestHub {
  hub: Hub;
  ctx: HubContext;
  app: Express;
  api: ReturnType<typeof supertest>;
  testDb: TestDb;
  close(): Promise<void>;
}

/**
 * Hubs start with AUTH=off (no listening socket, so the loopback rule does not arise) and no rate limit:
 * the API suites test FHIR semantics. Security tests pass AUTH=on and their own settings.
 * PACKAGE_RESOURCES=off: storing the packages' ~560 conformance resources at every test hub's start
 * would slow each file; validation-package-resources.test.ts turns it on.
 */
export async function startTestHub(env: NodeJS.ProcessEnv = {}): Promise<TestHub> {
  const testDb = await createTestDb();
  const config = loadConfig({ DEMO: '0', BASE_URL: BASE, AUTH: 'off', RATE_LIMIT_PER_MINUTE: '0', PACKAGE_RESOURCES: 'off', ...env });
  const hub = await openHub(config, testDb.db);
  const app = createApp(hub.ctx, { ready: async () => true });
  const close = async () => {
    await hub.security.close();
    await testDb.drop();
  };
  return { hub, ctx: hub.ctx, app, api: supertest(app), testDb, close };
}

export const FHIR_JSON = 'application/fhir+json';
