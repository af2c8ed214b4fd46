// Letters test kit (issue 7): a secure hub with the demo territory, a hospital client entitled to its FINESS, the
// sample letters of fixtures/letters, and tokens for the territory's médecins traitants.
import fs from 'node:fs';
import path from 'node:path';
import type { Bundle, DocumentReference } from '@medplum/fhirtypes';
import { loadDemoIfEmpty } from '../../src/loaders/demo';
import { setClientFiness } from '../../src/store/client-finess';
import { registerClient } from '../../src/store/security-store';
import { postJson } from './fhir-api';
import { signToken, startSecureHub, TestIssuer, type TestKey } from './security';
import type { TestHub } from './test-hub';

export const LETTERS_DIR = path.resolve(__dirname, '../../fixtures/letters');
export const HOSPITAL_FINESS = '459900114';
export const SENDER_SCOPE = 'system/Bundle.c system/List.c system/DocumentReference.cruds system/Binary.cr system/Communication.cr system/Task.cr';

export const letterFile = (name: string): Bundle => JSON.parse(fs.readFileSync(path.join(LETTERS_DIR, name), 'utf8'));
export const letterBytes = (name: string): Buffer => fs.readFileSync(path.join(LETTERS_DIR, name));

export interface LettersEnv {
  t: TestHub;
  issuer: TestIssuer;
  key: TestKey;
  /** A token of the hospital's information system (client his-chu, entitled to FINESS 459900114). */
  hospital(scope?: string): Promise<string>;
  /** A token of another system, entitled to another FINESS only. */
  stranger(): Promise<string>;
  professional(idNatPs: string, scope?: string): Promise<string>;
  close(): Promise<void>;
}

export async function startLettersHub(env: NodeJS.ProcessEnv = {}): Promise<LettersEnv> {
  const { issuer, key } = await TestIssuer.withKey();
  const t = await startSecureHub(issuer, env);
  await loadDemoIfEmpty(t.ctx);
  const jwks = JSON.stringify({ keys: [key.publicJwk] });
  await registerClient(t.ctx.db, { clientId: 'his-chu', jwks, scope: SENDER_SCOPE });
  await setClientFiness(t.ctx.db, 'his-chu', [HOSPITAL_FINESS]);
  await registerClient(t.ctx.db, { clientId: 'his-other', jwks, scope: SENDER_SCOPE });
  await setClientFiness(t.ctx.db, 'his-other', ['459900106']);
  const system = (clientId: string, scope: string) => signToken({ key, issuer: issuer.issuer, scope, extra: { client_id: clientId } });
  return {
    t,
    issuer,
    key,
    hospital: (scope = SENDER_SCOPE) => system('his-chu', scope),
    stranger: () => system('his-other', SENDER_SCOPE),
    professional: (idNatPs, scope = 'user/*.cruds') => signToken({ key, issuer: issuer.issuer, professional: idNatPs, scope }),
    close: async () => {
      await t.close();
      await issuer.stop();
    },
  };
}

export function send(env: LettersEnv, token: string, url: string, body: unknown) {
  return postJson(env.t, url, body, { Authorization: `Bearer ${token}` });
}

/** The DocumentReference entry of a provide bundle, to vary a fixture. */
export function docRefOf(bundle: Bundle): DocumentReference {
  return bundle.entry!.find((e) => e.resource?.resourceType === 'DocumentReference')!.resource as DocumentReference;
}

export function binaryOf(bundle: Bundle): { contentType: string; data?: string } {
  return bundle.entry!.find((e) => e.resource?.resourceType === 'Binary')!.resource as unknown as { contentType: string; data?: string };
}

/** The report of the first letter: the OperationOutcome in its DocumentReference entry's response. */
export function reportOf(body: Bundle) {
  const outcome = body.entry?.map((e) => e.response?.outcome).find((o) => o) as { issue: { severity: string; diagnostics?: string }[] } | undefined;
  return outcome?.issue ?? [];
}
