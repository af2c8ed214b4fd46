// Migration 007: AuditEvents stored as resources before it move into the audit log, served as they were, searchable.
import type { AuditEvent } from '@medplum/fhirtypes';
import { PGlite } from '@electric-sql/pglite';
import { listMigrations } from '../../src/store/migrate';
import { searchAuditLog } from '../../src/store/audit-log';
import { openPglite } from '../../src/store/pglite';

const legacy: AuditEvent = {
  resourceType: 'AuditEvent',
  id: '6f1c1f0e-2c4b-4a53-9d1e-0c8a1e7b9a11',
  meta: { versionId: '1', lastUpdated: '2026-11-20T10:00:00.000Z' },
  type: { system: 'http://terminology.hl7.org/CodeSystem/audit-event-type', code: 'rest' },
  subtype: [{ system: 'http://hl7.org/fhir/restful-interaction', code: 'read' }],
  action: 'R',
  recorded: '2026-11-20T10:00:00.000Z',
  outcome: '4',
  agent: [{ requestor: true, who: { reference: 'Practitioner/gp' } }, { requestor: false, who: { display: 'hub' } }],
  source: { observer: { display: 'fhir-hub' } },
  entity: [
    { what: { reference: 'Patient/A' }, role: { code: '1' } },
    { what: { reference: 'Observation/o1' }, role: { code: '4' } },
  ],
};

test('legacy AuditEvent resources are copied with their id and JSON, and leave the resource tables', async () => {
  const db = await openPglite(undefined, await PGlite.create());
  const migrations = listMigrations();
  for (const m of migrations.filter((x) => x.version < 7)) await db.exec(m.sql);
  const r = await db.query<{ rid: number }>(
    `INSERT INTO resource (res_type, id, version, last_updated, content) VALUES ('AuditEvent', $1, 1, now(), $2) RETURNING rid`,
    [legacy.id, JSON.stringify(legacy)],
  );
  await db.query(`INSERT INTO resource_history (rid, res_type, id, version, last_updated, method, content) VALUES ($1, 'AuditEvent', $2, 1, now(), 'create', $3)`, [r.rows[0].rid, legacy.id, JSON.stringify(legacy)]);
  await db.exec(migrations.find((x) => x.version === 7)!.sql);

  const byPatient = await searchAuditLog(db, { criteria: [{ on: 'patient', values: ['A'] }, { on: 'agent', values: ['Practitioner/gp'] }, { on: 'entity', values: ['Observation/o1'] }], count: 10, offset: 0, withCount: true, withPage: true });
  expect(byPatient.total).toBe(1);
  const [row] = byPatient.rows;
  expect(row.id).toBe(legacy.id);
  expect(JSON.parse(row.legacyContent!)).toEqual(legacy);
  expect(row.entry).toMatchObject({ outcome: '4', subtype: 'read', action: 'R', recorded: '2026-11-20T10:00:00.000Z' });
  const left = await db.query<{ n: number }>(`SELECT (SELECT count(*) FROM resource WHERE res_type = 'AuditEvent') + (SELECT count(*) FROM resource_history WHERE res_type = 'AuditEvent') AS n`);
  expect(Number(left.rows[0].n)).toBe(0);
  // Append-only: a row cannot be rewritten.
  await expect(db.query(`UPDATE audit_log SET outcome = '0'`)).rejects.toThrow('append-only');
  await db.close();
});
