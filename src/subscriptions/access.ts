// Access hook for notifications (FHIR R4 §2.46.8 "Safety and security"): a subscription sees only what its owner may see.
import type { Resource } from '@medplum/fhirtypes';

/** Who a subscription acts for. The security issue decides how an owner is recorded; until then only the subscription is known. */
export interface SubscriptionOwner {
  subscriptionId: string;
  /** e.g. "Practitioner/123" or "Organization/x", when the security layer recorded one. */
  ownerRef?: string;
}

/** Asked once per matched event before a notification is recorded; false drops the event for that subscription. */
export interface AccessPolicy {
  canSee(owner: SubscriptionOwner, resource: Resource): boolean;
  /** True when canSee never refuses: the matcher then skips reading the resource content. */
  readonly allowsEverything?: boolean;
}

export const allowAll: AccessPolicy = { canSee: () => true, allowsEverything: true };

/** The extension where the security layer may record a subscription's owner (a Reference). */
export const OWNER_EXTENSION = 'https://fhir-hub.fr/StructureDefinition/subscription-owner';
