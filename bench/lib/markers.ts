// Writes one benchmark's figures into docs/performance.md between its own markers, so the hand-written analysis
// around them and the other benchmarks' sections survive each run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './processes';

export function writeMarkedSection(name: string, heading: string, text: string, file = path.join(REPO, 'docs/performance.md')): void {
  const begin = `<!-- ${name}:begin (written by \`npm run ${name.replace('-', ':')}\`; edit outside the markers) -->`;
  const end = `<!-- ${name}:end -->`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Performance\n';
  const block = `${begin}\n${text}\n${end}`;
  const from = current.indexOf(`<!-- ${name}:begin`);
  const to = current.indexOf(end);
  const next = from >= 0 && to > from ? current.slice(0, from) + block + current.slice(to + end.length) : `${current.trimEnd()}\n\n## ${heading}\n\n${block}\n`;
  writeFileSync(file, next);
}
