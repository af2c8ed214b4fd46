// Throughput of validateBase over every resource of the Synthea test bundles.
// Run: npx tsx bench/validate-base.ts [dir] [passes]
import { execFile } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { validateBase, warmUpBaseValidator } from '../src/conformance/base';
import type { Issue } from '../src/conformance/issue';

const run = promisify(execFile);
const dir = resolve(process.argv[2] ?? join(__dirname, '../../shared/test-data/synthea'));
const passes = Number(process.argv[3] ?? 3);

interface Entry {
  resource?: { resourceType?: string };
}

async function loadResources(): Promise<unknown[]> {
  const files = readdirSync(dir).filter((f) => f.endsWith('.json.bz2')).sort();
  const resources: unknown[] = [];
  // Decompress a few files at a time: bzip2 runs in child processes, parsing stays here.
  for (let i = 0; i < files.length; i += 8) {
    const batch = files.slice(i, i + 8);
    const texts = await Promise.all(
      batch.map((f) => run('bzip2', ['-dc', join(dir, f)], { maxBuffer: 1 << 30, encoding: 'utf8' })),
    );
    for (const { stdout } of texts) {
      const bundle = JSON.parse(stdout) as { entry?: Entry[] };
      for (const e of bundle.entry ?? []) if (e.resource) resources.push(e.resource);
    }
  }
  console.log(`${files.length} bundles, ${resources.length} resources from ${dir}`);
  return resources;
}

function validateAll(resources: unknown[]): { ms: number; issues: Issue[][] } {
  const issues: Issue[][] = [];
  const start = process.hrtime.bigint();
  for (const r of resources) issues.push(validateBase(r));
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  return { ms, issues };
}

function report(resources: unknown[], issues: Issue[][]): void {
  const byMessage = new Map<string, number>();
  const byPlace = new Map<string, number>();
  let total = 0;
  for (let i = 0; i < issues.length; i++) {
    for (const issue of issues[i]) {
      total++;
      byMessage.set(issue.diagnostics, (byMessage.get(issue.diagnostics) ?? 0) + 1);
      const place = `${issue.severity} ${issue.code} ${(issue.expression ?? '').replace(/\[\d+\]/g, '[*]')}`;
      byPlace.set(place, (byPlace.get(place) ?? 0) + 1);
    }
  }
  const withIssues = issues.filter((l) => l.length > 0).length;
  console.log(`issues: ${total} in ${withIssues} of ${resources.length} resources`);
  const top = (m: Map<string, number>): void => {
    for (const [k, n] of [...m].sort((a, b) => b[1] - a[1]).slice(0, 40)) console.log(`  ${String(n).padStart(7)}  ${k}`);
  };
  if (total > 0) {
    console.log('by message:');
    top(byMessage);
    console.log('by expression (indexes folded):');
    top(byPlace);
  }
}

async function main(): Promise<void> {
  const resources = await loadResources();
  const t0 = process.hrtime.bigint();
  warmUpBaseValidator();
  const heap = (process.memoryUsage().heapUsed / 1e6).toFixed(0);
  console.log(`definitions + terminology loaded in ${(Number(process.hrtime.bigint() - t0) / 1e6).toFixed(0)} ms (heap ${heap} MB)`);
  const cold = validateAll(resources);
  console.log(`pass 1 (cold, compiles types on first use): ${cold.ms.toFixed(0)} ms, ${Math.round(resources.length / (cold.ms / 1000))} resources/s`);
  let best = Infinity;
  for (let p = 2; p <= passes; p++) {
    const { ms } = validateAll(resources);
    best = Math.min(best, ms);
    console.log(`pass ${p}: ${ms.toFixed(0)} ms, ${Math.round(resources.length / (ms / 1000))} resources/s`);
  }
  if (best < Infinity) console.log(`best: ${Math.round(resources.length / (best / 1000))} resources/s (${((best * 1000) / resources.length).toFixed(1)} µs/resource)`);
  report(resources, cold.issues);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
