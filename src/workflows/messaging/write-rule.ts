// The hub's rule for Communication writes (issue 8): it owns the thread extension and moves attachments into Binaries.
import type { Communication, Extension, Resource } from '@medplum/fhirtypes';
import { FhirError } from '../../fhir/errors';
import type { HubContext, WriteRule } from '../../fhir/hub-context';
import type { Queryable } from '../../store/db';
import { readCurrent, type StoredVersion } from '../../store/resource-store';
import type { AttachmentLimits } from './attachment-content';
import { storeAttachments } from './attachments';
import { deliveriesOf, followSubjects, insertDeliveries } from './deliveries';
import { THREAD_EXTENSION, threadOf } from './thread';

const refused = (text: string, expression: string) => new FhirError(422, { code: 'business-rule', id: 'HUB-0810', text, expression });

export function communicationWriteRule(ctx: HubContext, limits: AttachmentLimits): WriteRule {
  return {
    async beforeStore(tx: Queryable, incoming: Resource, current: StoredVersion | undefined): Promise<Resource> {
      const message = incoming as Communication;
      const replyTo = await checkReplies(ctx, tx, message);
      // The id is assigned before write rules run (persistCreate, transaction POSTs), so a root can name itself.
      const stored = current?.content && !current.deleted ? threadOf(JSON.parse(current.content) as Communication) : undefined;
      const thread = stored ?? (replyTo ? (threadOf(replyTo) ?? `Communication/${replyTo.id}`) : `Communication/${message.id}`);
      const payload = await storeAttachments(ctx, tx, message, limits);
      return withThread({ ...message, ...(payload ? { payload } : {}) }, thread);
    },
    // Deliveries need the new message's rid: written once it is stored, in the same transaction.
    async afterStore(tx, writes) {
      await insertDeliveries(tx, await deliveriesOf(tx, writes, ctx.now()));
      await followSubjects(tx, writes);
    },
  };
}

/** Each inResponseTo naming a Communication must exist and be about the same patient; returns the first, whose thread is joined. */
async function checkReplies(ctx: HubContext, tx: Queryable, message: Communication): Promise<Communication | undefined> {
  let first: Communication | undefined;
  for (const [i, ref] of (message.inResponseTo ?? []).entries()) {
    const id = communicationId(ctx, ref.reference);
    if (id === undefined) continue;
    const where = `Communication.inResponseTo[${i}]`;
    const stored = await readCurrent(tx, 'Communication', id);
    if (!stored?.content || stored.deleted) throw refused(`inResponseTo names Communication/${id}, which does not exist on this hub`, where);
    const parent = JSON.parse(stored.content) as Communication;
    if (parent.subject?.reference !== message.subject?.reference) {
      throw refused(`A reply concerns the patient of the message it answers: Communication/${id} is about ${parent.subject?.reference ?? 'no patient'}, this one about ${message.subject?.reference ?? 'no patient'}`, 'Communication.subject');
    }
    first ??= parent;
  }
  return first;
}

/** The id of `Communication/[id]` or of the hub's absolute URL for it; undefined for anything else. */
function communicationId(ctx: HubContext, reference: string | undefined): string | undefined {
  if (!reference) return undefined;
  const relative = reference.startsWith(`${ctx.config.baseUrl}/`) ? reference.slice(ctx.config.baseUrl.length + 1) : reference;
  return /^Communication\/([A-Za-z0-9\-.]{1,64})$/.exec(relative)?.[1];
}

/** The hub owns the thread extension: whatever the client sent under that url is replaced. */
function withThread(message: Communication, thread: string): Communication {
  const others: Extension[] = (message.extension ?? []).filter((e) => e.url !== THREAD_EXTENSION);
  return { ...message, extension: [...others, { url: THREAD_EXTENSION, valueReference: { reference: thread } }] };
}
