// Who a subscription acts for (FHIR R4 §2.46.8 "Safety and security"): a subscription sees only what its owner may see.
import type { AccessRule } from '../store/access-sql';

export interface SubscriptionOwner {
  subscriptionId: string;
  /** `Practitioner/[id]` or `client:[id]`; absent when created without restriction (AUTH=off). */
  ownerRef?: string;
  /** The owner's access rule, compiled into matching like any search of theirs; absent: sees everything. */
  access?: AccessRule;
}

/** The extension where the hub records a subscription's owner (a Reference). */
export const OWNER_EXTENSION = 'https://fhir-hub.fr/StructureDefinition/subscription-owner';
