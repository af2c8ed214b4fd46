// Every setting of the hub, typed, read once from the environment.
import path from 'node:path';
import { loadValidationSettings, type ValidationSettings } from './conformance/settings';
import { loadSecuritySettings, type SecuritySettings } from './security/settings';
import { optionsFromEnv, type SubscriptionOptions } from './subscriptions/options';

export interface HubConfig {
  port: number;
  host: string;
  /** Public base URL used in Location headers and Bundle links. */
  baseUrl: string;
  dataDir: string;
  /** When set, PostgreSQL through `pg`; otherwise embedded PGlite in dataDir. */
  databaseUrl?: string;
  databasePoolSize: number;
  loadDemo: boolean;
  bodyLimitBytes: number;
  logLevel: string;
  /** Largest _count a search or history page may ask for. */
  maxPageSize: number;
  defaultPageSize: number;
  security: SecuritySettings;
  /** Matching and delivery of subscriptions in this process (SUBSCRIPTIONS=off leaves them to other replicas). */
  subscriptions: { enabled: boolean; options: Partial<SubscriptionOptions> };
  validation: ValidationSettings;
}

function intFrom(value: string | undefined, fallback: number): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new Error(`Expected a whole number, got "${value}"`);
  return n;
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): HubConfig {
  const port = intFrom(env.PORT, 8080);
  const host = env.HOST ?? '0.0.0.0';
  const baseUrl = (env.BASE_URL ?? `http://localhost:${port}/fhir`).replace(/\/$/, '');
  const dataDir = path.resolve(env.DATA_DIR ?? './data');
  return {
    port,
    host,
    baseUrl,
    dataDir,
    databaseUrl: env.DATABASE_URL || undefined,
    databasePoolSize: intFrom(env.DATABASE_POOL_SIZE, 20),
    loadDemo: env.DEMO !== '0' && env.DEMO !== 'false',
    bodyLimitBytes: intFrom(env.BODY_LIMIT_BYTES, 16 * 1024 * 1024),
    logLevel: env.LOG_LEVEL ?? 'info',
    maxPageSize: 1000,
    defaultPageSize: 20,
    subscriptions: { enabled: env.SUBSCRIPTIONS !== 'off', options: optionsFromEnv(env) },
    security: loadSecuritySettings(env, baseUrl, dataDir),
    validation: loadValidationSettings(env),
  };
}
