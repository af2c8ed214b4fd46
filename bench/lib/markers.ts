// Writes one benchmark's figures into docs/performance.md between its own markers, so the hand-written analysis
// around them and the other benchmarks' sections survive each run.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './processes';

/**
 * `name` is the marker's name (`bench-letters`); `command` the command the begin marker names (default
 * `npm run bench:letters`); `heading` titles the section the first time it is added at the end of the file.
 */
export function writeMarkedSection(name: string, heading: string | undefined, text: string, command = `npm run ${name.replace('-', ':')}`, file = path.join(REPO, 'docs/performance.md')): void {
  const begin = `<!-- ${name}:begin (written by \`${command}\`; edit outside the markers) -->`;
  const end = `<!-- ${name}:end -->`;
  const current = existsSync(file) ? readFileSync(file, 'utf8') : '# Performance\n';
  const block = `${begin}\n${text}\n${end}`;
  const from = current.indexOf(`<!-- ${name}:begin`);
  const to = current.indexOf(end);
  const title = heading ? `## ${heading}\n\n` : '';
  const next = from >= 0 && to > from ? current.slice(0, from) + block + current.slice(to + end.length) : `${current.trimEnd()}\n\n${title}${block}\n`;
  writeFileSync(file, next);
}
