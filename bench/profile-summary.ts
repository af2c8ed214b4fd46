// Where a hub process spends its CPU: self time of a .cpuprofile (from `npm run bench -- --cpu-prof <dir>`)
// grouped by function and by package or source file.
// Run: npx tsx bench/profile-summary.ts <file.cpuprofile> [top]
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

const [file, topArg] = process.argv.slice(2);
if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [top]');
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((n) => [n.id, n]));

/** node_modules/<pkg>, src/<file>, or the V8 pseudo-frames ((idle), (garbage collector), (program)). */
function place(url: string, name: string): string {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1];
  const src = /\/(src\/.+|bench\/.+)$/.exec(url);
  if (src) return src[1];
  return url.startsWith('node:') ? url : url.replace(/^.*\//, '');
}

const selfByFunction = new Map<string, number>();
const selfByPlace = new Map<string, number>();
let total = 0;
profile.samples.forEach((id, i) => {
  const node = byId.get(id)!;
  const dt = profile.timeDeltas[i] ?? 0;
  total += dt;
  const { functionName, url, lineNumber } = node.callFrame;
  const where = place(url, functionName);
  const fn = `${functionName || '(anonymous)'} ${where}${url ? `:${lineNumber + 1}` : ''}`;
  selfByFunction.set(fn, (selfByFunction.get(fn) ?? 0) + dt);
  selfByPlace.set(where, (selfByPlace.get(where) ?? 0) + dt);
});

// Inclusive time of the project's own functions (self time of everything they call), recursion counted once.
const selfByNode = new Map<number, number>();
profile.samples.forEach((id, i) => selfByNode.set(id, (selfByNode.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const inclusive = new Map<string, number>();
function walk(id: number, open: Set<string>): number {
  const node = byId.get(id)!;
  let t = selfByNode.get(id) ?? 0;
  const { functionName, url, lineNumber } = node.callFrame;
  const own = /\/(src|bench)\//.test(url) && !url.includes('node_modules') ? `${functionName || '(anonymous)'} ${place(url, functionName)}:${lineNumber + 1}` : undefined;
  const fresh = own !== undefined && !open.has(own);
  if (fresh) open.add(own!);
  for (const child of node.children ?? []) t += walk(child, open);
  if (fresh) {
    open.delete(own!);
    inclusive.set(own!, (inclusive.get(own!) ?? 0) + t);
  }
  return t;
}
walk(profile.nodes[0].id, new Set());

const print = (title: string, m: Map<string, number>) => {
  console.log(`\n${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    console.log(`${((100 * v) / total).toFixed(1).padStart(5)} %  ${(v / 1000).toFixed(0).padStart(6)} ms  ${k}`);
  }
};
console.log(`${file}: ${(total / 1e6).toFixed(1)} s sampled`);
print('Self time by package or file', selfByPlace);
print('Self time by function', selfByFunction);
print('Inclusive time of the project\'s functions', inclusive);
