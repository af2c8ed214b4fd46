// A client's Subscription create or update (FHIR R4 §2.46.5 and §2.46.8): checked (422), owned, stored with its
// header values out of the resource, and activated only by the hub.
import type { Extension, Resource, Subscription } from '@medplum/fhirtypes';
import { errors } from '../fhir/errors';
import type { Caller, HubContext, WriteRule } from '../fhir/hub-context';
import type { StoredVersion } from '../store/resource-store';
import { OWNER_EXTENSION } from './access';
import { maskSubscriptionForRead } from './endpoint-policy';
import { readPrivate, writePrivate } from './private-store';
import type { Topic } from './topics';
import { prepareSubscriptionWrite, validateSubscription } from './validate';

/** System clients have no FHIR resource: they are named by an identifier in this system. */
export const CLIENT_SYSTEM = 'urn:fhir-hub:client';

function ownerExtension(ownerRef: string, display?: string): Extension {
  if (ownerRef.startsWith('client:')) return { url: OWNER_EXTENSION, valueReference: { identifier: { system: CLIENT_SYSTEM, value: ownerRef.slice('client:'.length) }, display } };
  return { url: OWNER_EXTENSION, valueReference: { reference: ownerRef, display } };
}

export function subscriptionWriteRule(ctx: HubContext, endpointAllow: string[], topics: Map<string, Topic>): WriteRule {
  return {
    async beforeStore(tx, incoming: Resource, current: StoredVersion | undefined): Promise<Resource> {
      const sub = incoming as Subscription;
      const stored = current && !current.deleted && current.content ? (JSON.parse(current.content) as Subscription) : undefined;
      const kept = stored ? await readPrivate(tx, sub.id!) : undefined;
      const caller = ctx.guard?.caller();
      const restricted = caller !== undefined && !caller.unrestricted;
      assertOwnerMayChange(sub.id!, kept?.ownerRef, caller);
      const storedFull = stored && kept ? { ...stored, channel: { ...stored.channel, header: kept.headers } } : stored;
      const prepared = prepareSubscriptionWrite(sub, storedFull);
      const issues = validateSubscription(ctx, prepared, endpointAllow, topics);
      if (issues.length > 0) throw errors.unprocessable(issues);
      // The owner is whoever created it; a client cannot name or change it.
      const ownerRef = kept ? kept.ownerRef : restricted ? caller.ownerRef : undefined;
      const extension = (prepared.extension ?? []).filter((e) => e.url !== OWNER_EXTENSION);
      if (ownerRef) extension.push(ownerExtension(ownerRef, caller?.display));
      const withOwner: Subscription = { ...prepared, extension: extension.length > 0 ? extension : undefined };
      if (!withOwner.extension) delete withOwner.extension;
      await writePrivate(tx, sub.id!, { headers: prepared.channel?.header ?? [], ownerRef, access: restricted ? caller.access : kept?.access });
      return maskSubscriptionForRead(withOwner);
    },
    async beforeDelete(tx, current) {
      assertOwnerMayChange(current.id, (await readPrivate(tx, current.id))?.ownerRef, ctx.guard?.caller());
    },
  };
}

function assertOwnerMayChange(id: string, ownerRef: string | undefined, caller: Caller | undefined): void {
  if (!caller || caller.unrestricted || !ownerRef || ownerRef === caller.ownerRef) return;
  throw errors.forbidden(`Subscription/${id} belongs to ${ownerRef}; only its owner may change or delete it`);
}
