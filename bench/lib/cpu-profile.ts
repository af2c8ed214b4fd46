// Where a process spends its CPU: a V8 .cpuprofile (node --cpu-prof) summed by self time into the hub's folders,
// the npm packages and node's own internals, so two runs of the same requests can be compared layer by layer.
import fs from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}
interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The bucket of a frame: `src/security`, `pkg pg`, `node internals`, `(garbage collector)`, `(idle)`... */
export function bucketOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : 'node internals';
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return `pkg ${pkg[1]}`;
  const src = /\/(src\/[^/]+)\//.exec(url) ?? /\/(src)\/[^/]+$/.exec(url);
  if (src) return src[1];
  if (url.startsWith('node:') || !url.includes('/')) return 'node internals';
  return 'other';
}

/**
 * Self time in microseconds per bucket and per function, counting only the samples taken between `fromMs` and
 * `toMs` after the profile started (the process's start): start-up and shutdown are left out.
 */
export function summarize(file: string, fromMs = 0, toMs = Infinity): { buckets: Map<string, number>; functions: Map<string, number>; totalUs: number } {
  const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const buckets = new Map<string, number>();
  const functions = new Map<string, number>();
  let totalUs = 0;
  let atUs = 0;
  profile.samples.forEach((id, i) => {
    const node = byId.get(id)!;
    const us = profile.timeDeltas[i] ?? 0;
    atUs += us;
    if (atUs < fromMs * 1000 || atUs > toMs * 1000) return;
    const bucket = bucketOf(node.callFrame.url, node.callFrame.functionName);
    if (bucket === '(idle)' || bucket === '(program)') return;
    totalUs += us;
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + us);
    const where = `${node.callFrame.functionName || '(anonymous)'} ${path.basename(node.callFrame.url)}`;
    functions.set(where, (functions.get(where) ?? 0) + us);
  });
  return { buckets, functions, totalUs };
}

/** The newest main-thread .cpuprofile in a folder (CPU.<date>.<time>.<pid>.<thread>.<seq>; thread 0 is main). */
export function newestProfile(dir: string): string {
  const files = fs.readdirSync(dir).filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f)).map((f) => path.join(dir, f));
  if (files.length === 0) throw new Error(`no .cpuprofile in ${dir}`);
  return files.sort((a, b) => fs.statSync(b).mtimeMs - fs.statSync(a).mtimeMs)[0];
}
