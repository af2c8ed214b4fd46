// (c) Small transactions: 1 Patient + 1 Observation linked by urn:uuid, with random values each time.
import { randomUUID } from 'node:crypto';

const FAMILY = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau'];
const GIVEN = ['Camille', 'Louise', 'Jules', 'Léa', 'Hugo', 'Chloé', 'Lucas', 'Inès', 'Arthur', 'Manon'];

const pick = <T>(xs: T[]): T => xs[Math.floor(Math.random() * xs.length)];
const int = (lo: number, hi: number): number => lo + Math.floor(Math.random() * (hi - lo + 1));
const pad = (n: number): string => String(n).padStart(2, '0');

export function randomPatient(): Record<string, unknown> {
  return {
    resourceType: 'Patient',
    identifier: [{ system: 'urn:oid:1.2.250.1.213.1.4.8', value: String(int(1e12, 9e12)) }],
    name: [{ family: pick(FAMILY), given: [pick(GIVEN)] }],
    gender: pick(['female', 'male']),
    birthDate: `${int(1930, 2020)}-${pad(int(1, 12))}-${pad(int(1, 28))}`,
  };
}

export function smallTransaction(): string {
  const patientUrl = `urn:uuid:${randomUUID()}`;
  const observation = {
    resourceType: 'Observation',
    status: 'final',
    code: { coding: [{ system: 'http://loinc.org', code: '8867-4', display: 'Heart rate' }] },
    subject: { reference: patientUrl },
    effectiveDateTime: new Date(Date.now() - int(0, 1e10)).toISOString(),
    valueQuantity: { value: int(40, 180), unit: 'beats/minute', system: 'http://unitsofmeasure.org', code: '/min' },
  };
  return JSON.stringify({
    resourceType: 'Bundle',
    type: 'transaction',
    entry: [
      { fullUrl: patientUrl, resource: randomPatient(), request: { method: 'POST', url: 'Patient' } },
      { fullUrl: `urn:uuid:${randomUUID()}`, resource: observation, request: { method: 'POST', url: 'Observation' } },
    ],
  });
}

/** The baseline's counterpart: one random Patient, one row. */
export function singlePatient(): string {
  return JSON.stringify(randomPatient());
}
