// Message threads (issue 8): every Communication of a conversation names the thread's first message.
import type { Communication, Reference } from '@medplum/fhirtypes';

/** Extension on Communication: valueReference → the thread's root Communication (the root names itself). */
export const THREAD_EXTENSION = 'https://fhir-hub.fr/ig/StructureDefinition/communication-thread';

/** The root of the thread a Communication belongs to, as `Communication/[id]`; undefined when not yet stamped. */
export function threadOf(communication: Communication): string | undefined {
  const ext = communication.extension?.find((e) => e.url === THREAD_EXTENSION);
  return (ext?.valueReference as Reference | undefined)?.reference;
}
