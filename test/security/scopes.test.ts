// SMART v2 scopes and ANS national identifiers: the pure rules the security layer relies on.
import { professionalIdentifiers } from '../../src/security/identity';
import { parseScope, ScopeSet } from '../../src/security/scopes';
import { isLoopback } from '../../src/security/startup';

test('v2 scopes carry their permissions; v1 read/write map onto them; others grant nothing', () => {
  expect([...parseScope('user/Observation.rs')!.permissions]).toEqual(['r', 's']);
  expect([...parseScope('system/*.cruds')!.permissions]).toEqual(['c', 'r', 'u', 'd', 's']);
  expect([...parseScope('patient/Patient.read')!.permissions]).toEqual(['r', 's']);
  expect([...parseScope('user/*.write')!.permissions]).toEqual(['c', 'u', 'd']);
  expect(parseScope('user/Observation.sr')).toBeUndefined(); // v2 fixes the order c r u d s
  expect(parseScope('openid')).toBeUndefined();
  expect(parseScope('user/Observation.rs?category=laboratory')).toBeUndefined();
});

test('a scope set only holds the contexts asked for, and wildcards never cover AuditEvent', () => {
  const s = new ScopeSet('user/*.rs system/Patient.cruds launch', ['user']);
  expect(s.permits('Observation', 'r')).toBe(true);
  expect(s.permits('Observation', 'c')).toBe(false);
  expect(s.permits('Patient', 'c')).toBe(false);
  expect(s.permits('AuditEvent', 'r')).toBe(false);
  expect(new ScopeSet('user/AuditEvent.rs', ['user']).permits('AuditEvent', 's')).toBe(true);
  expect(s.readableTypes()).toEqual({ all: true, except: ['AuditEvent'] });
});

test('the token endpoint grants the requested scopes a client may have, no more', () => {
  expect(ScopeSet.grantable('system/Patient.rs system/Observation.c', 'system/*.rs')).toBe('system/Patient.rs');
  expect(ScopeSet.grantable('system/*.rs', 'system/Patient.rs')).toBe('');
  expect(ScopeSet.grantable('system/*.r', 'system/*.cruds')).toBe('system/*.r');
});

test('national identifiers: RPPS, idNat_PS with 8 + RPPS, 0 + ADELI; anything else is refused', () => {
  expect(professionalIdentifiers('10000000001')?.nationalId).toBe('810000000001');
  expect(professionalIdentifiers('810000000001')?.identifiers).toEqual([
    { system: 'https://rpps.esante.gouv.fr', value: '10000000001' },
    { system: 'urn:oid:1.2.250.1.71.4.2.1', value: '810000000001' },
  ]);
  expect(professionalIdentifiers('0123456789')?.identifiers).toHaveLength(1);
  expect(professionalIdentifiers('jdupont')).toBeUndefined();
});

test('loopback addresses only', () => {
  expect(['127.0.0.1', '::1', 'localhost', '127.1.2.3'].every(isLoopback)).toBe(true);
  expect(['0.0.0.0', '::', '10.0.0.1'].some(isLoopback)).toBe(false);
});
