#!/usr/bin/env node
// The fhir-hub command: serve, migrate, import.
import { Command } from 'commander';
import { loadConfig } from '../config';
import { openDatabase, openHub } from '../hub';
import { logger } from '../logger';
import { migrate } from '../store/migrate';
import { runImport } from './import';
import { runServe } from './serve';

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

program.parseAsync(process.argv).catch((err) => {
  logger.fatal({ err }, 'fhir-hub failed');
  process.exit(1);
});
