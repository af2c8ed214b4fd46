#!/usr/bin/env node
// The fhir-hub command: serve, migrate, import, reindex, validate, packages, clients, token.
import { Command } from 'commander';
import { loadConfig } from '../config';
import { openDatabase, openHub } from '../hub';
import { logger } from '../logger';
import { migrate } from '../store/migrate';
import { clientsAdd, clientsList, clientsRemove, type ClientAddOptions } from './clients';
import { runImport } from './import';
import { runPackagesInstall, runPackagesList } from './packages';
import { runReindex } from './reindex';
import { runServe } from './serve';
import { runToken } from './token';
import { runValidate } from './validate';

const program = new Command();
program.name('fhir-hub').description('FHIR R4 hub for French care coordination');

program
  .command('serve')
  .description('serve the FHIR API (PORT, DATA_DIR or DATABASE_URL, DEMO=0 to skip demo data)')
  .action(async () => runServe(loadConfig()));

program
  .command('migrate')
  .description('apply pending database migrations and exit')
  .action(async () => {
    const db = await openDatabase(loadConfig());
    const applied = await migrate(db);
    await db.close();
    console.log(applied.length ? `applied: ${applied.join(', ')}` : 'schema up to date');
  });

program
  .command('import')
  .description('import transaction/batch Bundles (.json, .json.bz2) and NDJSON files or folders')
  .argument('<paths...>', 'files or folders')
  .option('--no-progress', 'no progress bar')
  .action(async (paths: string[], opts: { progress: boolean }) => {
    const hub = await openHub(loadConfig());
    try {
      process.exitCode = await runImport(hub.ctx, paths, opts.progress);
    } finally {
      await hub.close();
    }
  });

program
  .command('reindex')
  .description('rebuild the search indexes of the given resource types (all when none), while the hub keeps serving')
  .argument('[types...]', 'resource types')
  .option('--no-progress', 'no progress bar')
  .action(async (types: string[], opts: { progress: boolean }) => {
    const hub = await openHub(loadConfig());
    try {
      process.exitCode = await runReindex(hub.ctx, types, opts.progress);
    } finally {
      await hub.close();
    }
  });

program
  .command('validate')
  .description('validate FHIR resources against base R4, their meta.profile and --profile; exit 1 on errors')
  .argument('<paths...>', 'JSON files or folders')
  .option('--profile <url...>', 'profiles to validate against, besides meta.profile')
  .action(async (paths: string[], opts: { profile?: string[] }) => {
    process.exitCode = await runValidate(paths, opts.profile ?? []);
  });

const packages = program.command('packages').description('FHIR packages: the package cache (FHIR_PACKAGE_CACHE, default ~/.fhir/packages) and FHIR_PACKAGE_PATH');
packages
  .command('install')
  .description('install FHIR packages into the package cache, from a .tgz file or id@version from FHIR_PACKAGE_REGISTRY')
  .argument('<packages...>', '.tgz files or id@version')
  .action(async (specs: string[]) => {
    process.exitCode = await runPackagesInstall(specs);
  });
packages
  .command('list')
  .description('list the loaded FHIR packages (id, version, where from, dependencies) and the missing dependencies')
  .action(() => {
    process.exitCode = runPackagesList();
  });

/** Runs a clients command on the migrated database; a refused registration is a message and exit 1, not a stack. */
async function withClientsDb(fn: (db: Awaited<ReturnType<typeof openDatabase>>) => Promise<void>): Promise<void> {
  const db = await openDatabase(loadConfig());
  try {
    await migrate(db);
    await fn(db);
  } catch (err) {
    console.error(`fhir-hub clients: ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    await db.close();
  }
}

const clients = program.command('clients').description('SMART Backend Services clients allowed to ask POST /auth/token (table security_client)');
clients
  .command('add')
  .description("register a client with its public keys (a JWKS file or URL) and the system/ scopes it may be granted")
  .argument('<id>', 'client id: the iss and sub of its assertions')
  .requiredOption('--scope <scopes>', 'space-separated system/ scopes, e.g. "system/Patient.rs system/DocumentReference.cruds"')
  .option('--jwks <file>', "file with the client's public JWKS")
  .option('--jwks-uri <url>', "where the hub fetches the client's JWKS (https)")
  .option('--organization <id>', 'Organization id the client acts for')
  .option('--finess <numbers...>', 'FINESS the client writes documents and communications for (others are refused with 403)')
  .option('--replace', 'replace a client registered under the same id')
  .action(async (id: string, opts: ClientAddOptions) => withClientsDb((db) => clientsAdd(db, id, opts, console.log)));
clients
  .command('list')
  .description('list the registered clients: id, scopes, keys, organisation')
  .action(async () => withClientsDb((db) => clientsList(db, console.log)));
clients
  .command('remove')
  .description('remove a client: it gets no new token (those issued expire within 5 minutes)')
  .argument('<id>', 'client id')
  .action(async (id: string) => withClientsDb((db) => clientsRemove(db, id, console.log)));

program
  .command('token')
  .description("print a development access token signed with the hub's key (DATA_DIR/security)")
  .option('--practitioner <rpps>', "a professional's RPPS number (or 8 + RPPS)")
  .option('--client <id>', 'a system client id')
  .option('--scope <scopes>', 'SMART scopes (default user/*.cruds for a practitioner, system/*.rs for a client)')
  .option('--minutes <n>', 'lifetime in minutes (1 to 1440)', '60')
  .action(async (opts: { practitioner?: string; client?: string; scope?: string; minutes: string }) => runToken(loadConfig(), opts));

program.parseAsync(process.argv).catch((err) => {
  logger.fatal({ err }, 'fhir-hub failed');
  process.exit(1);
});
