// Real hub processes for end-to-end tests: `fhir-hub` commands spawned with node, spoken to over
// HTTP on 127.0.0.1. Every child is tracked so a test file can kill what is left in afterAll.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const REPO_ROOT = path.resolve(__dirname, '../../..');
export const SYNTHEA_DIR = path.resolve(REPO_ROOT, '../shared/test-data/synthea');
/** The sources through tsx (no build step); the built variant passes ['dist/cli/main.js']. */
export const TSX_CLI = ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli/main.ts')];

const children = new Set<ChildProcess>();

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface CliProcess {
  child: ChildProcess;
  /** stdout and stderr so far, for assertions and for failure messages. */
  stdout(): string;
  stderr(): string;
  exited: Promise<Exit>;
}

/**
 * The environment of a child: nothing inherited that selects a database or silences logs. These tests
 * are about processes and storage, not access control: AUTH=off, which the hub allows on loopback only.
 * PACKAGE_RESOURCES=off keeps the packages' ~560 conformance resources out of the row counts; the demo
 * and replica tests turn it on.
 */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  const { DATABASE_URL: _u, DATA_DIR: _d, PORT: _p, NODE_ENV: _n, DEMO: _demo, ...rest } = process.env;
  return { ...rest, LOG_LEVEL: 'info', HOST: '127.0.0.1', AUTH: 'off', PACKAGE_RESOURCES: 'off', ...env };
}

export interface CliOptions {
  /** What node runs: the sources through tsx by default, or a built main.js. */
  cli?: string[];
  cwd?: string;
}

export function startCli(args: string[], env: Record<string, string>, opts: CliOptions = {}): CliProcess {
  const child = spawn(process.execPath, [...(opts.cli ?? TSX_CLI), ...args], { cwd: opts.cwd ?? REPO_ROOT, env: childEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString('utf8')));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Waits for the exit; past the deadline the child is killed and the wait fails. */
export async function waitForExit(p: CliProcess, timeoutMs: number): Promise<Exit> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      p.child.kill('SIGKILL');
      reject(new Error(`process did not exit within ${timeoutMs} ms; output:\n${p.stdout()}\n${p.stderr()}`));
    }, timeoutMs);
  });
  try {
    return await Promise.race([p.exited, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runCli(args: string[], env: Record<string, string>, timeoutMs: number, opts: CliOptions = {}): Promise<Exit & { stdout: string; stderr: string }> {
  const p = startCli(args, env, opts);
  const exit = await waitForExit(p, timeoutMs);
  return { ...exit, stdout: p.stdout(), stderr: p.stderr() };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface HubProcess extends CliProcess {
  port: number;
  /** http://127.0.0.1:port */
  origin: string;
  /** Sends a signal and waits for the exit. */
  stop(signal?: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
}

/** Starts `serve` on a free port and resolves once /readyz answers 200. */
export async function startHub(env: Record<string, string>, opts: CliOptions & { timeoutMs?: number } = {}): Promise<HubProcess> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const p = startCli(['serve'], { PORT: String(port), BASE_URL: `${origin}/fhir`, ...env }, opts);
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  let exit: Exit | undefined;
  void p.exited.then((e) => (exit = e));
  for (;;) {
    if (exit) throw new Error(`hub exited (${exit.code ?? exit.signal}) before it was ready:\n${p.stdout()}\n${p.stderr()}`);
    if (Date.now() > deadline) {
      p.child.kill('SIGKILL');
      throw new Error(`hub not ready within ${opts.timeoutMs ?? 60_000} ms:\n${p.stdout()}\n${p.stderr()}`);
    }
    const ok = await fetch(`${origin}/readyz`).then((r) => r.status === 200, () => false);
    if (ok) break;
    await sleep(100);
  }
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 15_000) => {
    if (exit) return exit;
    p.child.kill(signal);
    return waitForExit(p, timeoutMs);
  };
  return { ...p, port, origin, stop };
}

/** Kills every child still running (afterAll of each e2e file). */
export async function killAll(): Promise<void> {
  const waits = [...children].map((c) => {
    const gone = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGKILL');
    return gone;
  });
  await Promise.all(waits);
}

export function tempDir(prefix: string): { dir: string; remove(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `fhir-hub-e2e-${prefix}-`));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** GET returning the JSON body and the status. */
export async function getJson<T = Record<string, unknown>>(url: string): Promise<{ status: number; body: T }> {
  const res = await fetch(url, { headers: { accept: 'application/fhir+json' } });
  return { status: res.status, body: (await res.json()) as T };
}

/** Total of `Type?_summary=count`, as a client would count resources. */
export async function countOf(origin: string, type: string): Promise<number> {
  const { status, body } = await getJson<{ total?: number }>(`${origin}/fhir/${type}?_summary=count`);
  if (status !== 200 || typeof body.total !== 'number') throw new Error(`count of ${type}: ${status} ${JSON.stringify(body)}`);
  return body.total;
}
