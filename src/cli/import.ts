// `fhir-hub import`: loads files with a progress bar and reports counts and failures per file.
// stdout carries the report (one line per file, then a summary); stderr the failures and the bar.
import { SingleBar, Presets } from 'cli-progress';
import type { HubContext } from '../fhir/hub-context';
import { importFile, type FileReport } from '../loaders/import-files';
import { expandPaths } from '../loaders/read-files';

const FAILURES_SHOWN_PER_FILE = 10;

function fileLine(r: FileReport): string {
  return `${r.file}: ${r.resources} resources${r.failures.length ? `, ${r.failures.length} failures` : ''}`;
}

function perSecond(count: number, ms: number): number {
  return ms > 0 ? Math.round((count * 1000) / ms) : 0;
}

/** Imports every file in turn; resolves to the exit code (1 when a file failed or nothing was found). */
export async function runImport(ctx: HubContext, paths: string[], progress: boolean): Promise<number> {
  const files = expandPaths(paths);
  if (files.length === 0) {
    console.error(`no .json, .ndjson or .bz2 files in ${paths.join(', ')}`);
    return 1;
  }
  const bar = progress && process.stderr.isTTY ? new SingleBar({ format: 'import [{bar}] {value}/{total} files | {resources} resources | {rate}/s' }, Presets.shades_classic) : undefined;
  const started = Date.now();
  let resources = 0;
  const reports: FileReport[] = [];
  bar?.start(files.length, 0, { resources: 0, rate: 0 });
  for (const file of files) {
    const report = await importFile(ctx, file);
    reports.push(report);
    resources += report.resources;
    bar?.increment(1, { resources, rate: perSecond(resources, Date.now() - started) });
    // Without a bar each line is written as soon as the file is done, so a watcher sees progress.
    if (!bar) console.log(fileLine(report));
  }
  bar?.stop();
  if (bar) reports.forEach((r) => console.log(fileLine(r)));
  const failed = reports.filter((r) => r.failures.length > 0);
  for (const r of failed) {
    console.error(`${r.file}: ${r.failures.length} failures`);
    for (const f of r.failures.slice(0, FAILURES_SHOWN_PER_FILE)) console.error(`  ${f.where}: ${f.message}`);
  }
  const ms = Date.now() - started;
  console.log(
    `imported ${resources} resources from ${files.length} files in ${(ms / 1000).toFixed(1)} s (${perSecond(resources, ms)} resources/s); ${failed.length} files with failures`,
  );
  return failed.length > 0 ? 1 : 0;
}
