// `fhir-hub import`: loads files with a progress bar and reports counts and failures per file.
import { SingleBar, Presets } from 'cli-progress';
import type { HubContext } from '../fhir/hub-context';
import { importFile, type FileReport } from '../loaders/import-files';
import { expandPaths } from '../loaders/read-files';

export async function runImport(ctx: HubContext, paths: string[], progress: boolean): Promise<number> {
  const files = expandPaths(paths);
  const bar = progress && process.stderr.isTTY ? new SingleBar({ format: 'import [{bar}] {value}/{total} files | {resources} resources | {rate}/s' }, Presets.shades_classic) : undefined;
  const started = Date.now();
  let resources = 0;
  const reports: FileReport[] = [];
  bar?.start(files.length, 0, { resources: 0, rate: 0 });
  for (const file of files) {
    const report = await importFile(ctx, file);
    reports.push(report);
    resources += report.resources;
    const rate = Math.round(resources / ((Date.now() - started) / 1000));
    bar?.increment(1, { resources, rate });
    if (!bar) console.log(`${file}: ${report.resources} resources${report.failures.length ? `, ${report.failures.length} failures` : ''}`);
  }
  bar?.stop();
  const failed = reports.filter((r) => r.failures.length > 0);
  for (const r of failed) {
    console.error(`${r.file}: ${r.failures.length} failures`);
    for (const f of r.failures.slice(0, 10)) console.error(`  ${f.where}: ${f.message}`);
  }
  const seconds = (Date.now() - started) / 1000;
  console.log(`imported ${resources} resources from ${files.length} files in ${seconds.toFixed(1)} s (${Math.round(resources / seconds)} resources/s); ${failed.length} files with failures`);
  return failed.length > 0 ? 1 : 0;
}
