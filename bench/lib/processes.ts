// Child processes of the benchmark (the hub, the baseline): started on 127.0.0.1, always killed at the end.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { onCleanup } from './cleanup';

export const REPO = path.resolve(__dirname, '../..');
const alive = new Set<ChildProcess>();

export interface Child {
  name: string;
  url: string;
  pid: number;
  /** The command line as a person would type it, for the report. */
  command: string;
  stop(): Promise<void>;
}

/** A port the OS says is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/**
 * Starts `node [nodeFlags] --import tsx <script> [...args]` (one process, so its pid is the one to kill),
 * then waits, at most `readyTimeoutMs`, for GET `${url}${readyPath}` to answer 200.
 */
export async function startChild(opts: {
  name: string;
  script: string;
  args?: string[];
  env: Record<string, string>;
  port: number;
  readyPath: string;
  nodeFlags?: string[];
  readyTimeoutMs?: number;
  /** Another checkout of the hub to run (bench:auth --compare); default this one. */
  cwd?: string;
}): Promise<Child> {
  const argv = [...(opts.nodeFlags ?? []), '--import', 'tsx', opts.script, ...(opts.args ?? [])];
  const child = spawn(process.execPath, argv, { cwd: opts.cwd ?? REPO, env: { ...process.env, ...opts.env }, stdio: ['ignore', 'ignore', 'pipe'] });
  alive.add(child);
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => (alive.delete(child), resolve())));
  const url = `http://127.0.0.1:${opts.port}`;
  const envText = Object.entries(opts.env).map(([k, v]) => `${k}=${v}`).join(' ');
  const stop = onCleanup(async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(killer);
  });
  const deadline = Date.now() + (opts.readyTimeoutMs ?? 90_000);
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${opts.name} exited with ${child.exitCode} before it was ready:\n${stderr}`);
    const ok = await fetch(url + opts.readyPath).then((r) => r.ok, () => false);
    if (ok) return { name: opts.name, url, pid: child.pid!, command: `${envText} node ${argv.join(' ')}`, stop };
    await new Promise((r) => setTimeout(r, 200));
  }
  await stop();
  throw new Error(`${opts.name} was not ready after ${opts.readyTimeoutMs ?? 90_000} ms:\n${stderr}`);
}

// Last resort if the process exits without cleaning up: no child outlives the benchmark.
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/**
 * A hub (`fhir-hub serve`) on 127.0.0.1 as the benchmarks run it: AUTH=off and no rate limit, so the feature is
 * measured rather than the security layer (bench:auth measures that), logs at warn.
 */
export async function startBenchHub(storage: Record<string, string>, env: Record<string, string> = {}): Promise<Child> {
  const port = await freePort();
  return startChild({
    name: 'hub',
    script: 'src/cli/main.ts',
    args: ['serve'],
    env: { ...storage, PORT: String(port), HOST: '127.0.0.1', DEMO: '0', LOG_LEVEL: 'warn', AUTH: 'off', RATE_LIMIT_PER_MINUTE: '0', BASE_URL: `http://127.0.0.1:${port}/fhir`, ...env },
    port,
    readyPath: '/readyz',
  });
}
