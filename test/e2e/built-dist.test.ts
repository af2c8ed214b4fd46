// The built hub as the Docker image runs it: `npm run build`, then only dist/, fixtures/demo/,
// profiles/, package.json and node_modules (the runtime stage of docker/Dockerfile) in another folder, and
// `node dist/cli/main.js serve` on PostgreSQL: migrations and the demo territory found from there.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT, countOf, getJson, killAll, runCli, startHub, tempDir } from './support/hub-process';
import { createEmptyPostgresDb, type EmptyPostgresDb } from './support/postgres-db';

jest.setTimeout(150_000);

let db: EmptyPostgresDb;
const image = tempDir('image');
beforeAll(async () => (db = await createEmptyPostgresDb()));
afterAll(async () => {
  await killAll();
  await db?.drop();
  image.remove();
});

function assembleImage(root: string): void {
  fs.cpSync(path.join(REPO_ROOT, 'dist'), path.join(root, 'dist'), { recursive: true });
  fs.cpSync(path.join(REPO_ROOT, 'fixtures/demo'), path.join(root, 'fixtures/demo'), { recursive: true });
  fs.cpSync(path.join(REPO_ROOT, 'profiles'), path.join(root, 'profiles'), { recursive: true });
  fs.copyFileSync(path.join(REPO_ROOT, 'package.json'), path.join(root, 'package.json'));
  fs.symlinkSync(path.join(REPO_ROOT, 'node_modules'), path.join(root, 'node_modules'), 'dir');
}

it('npm run build gives a hub that migrates, loads the demo and serves', async () => {
  const build = spawnSync('npm', ['run', 'build'], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 90_000 });
  expect({ status: build.status, output: build.status === 0 ? '' : build.stdout + build.stderr }).toEqual({ status: 0, output: '' });
  assembleImage(image.dir);
  const built = { cli: [path.join(image.dir, 'dist/cli/main.js')], cwd: image.dir };

  const migrate = await runCli(['migrate'], { DATABASE_URL: db.url }, 60_000, built);
  expect({ code: migrate.code, stdout: migrate.stdout }).toEqual({ code: 0, stdout: expect.stringMatching(/^applied: 001-resources\.sql/) });

  const hub = await startHub({ DATABASE_URL: db.url }, built);
  expect(await getJson(`${hub.origin}/healthz`)).toEqual({ status: 200, body: { status: 'ok' } });
  expect(await countOf(hub.origin, 'Patient')).toBe(30);
  expect(await countOf(hub.origin, 'Practitioner')).toBe(15);
  expect(await hub.stop()).toEqual({ code: 0, signal: null });
});
