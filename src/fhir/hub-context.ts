// What every FHIR interaction needs: storage, the search registry, validation and settings.
import type { CapabilityStatementRestResource, Extension, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { HubConfig } from '../config';
import type { TerminologyService } from '../conformance/terminology-service';
import type { AccessRule } from '../store/access-sql';
import type { Db, Queryable } from '../store/db';
import type { StoredVersion, VersionWrite } from '../store/resource-store';
import type { FhirRequest, FhirResponse } from './request';
import type { SearchParamRegistry } from './search/registry';

export type ResourceValidator = (resource: Resource, options?: { profiles?: string[] }) => OperationOutcomeIssue[];

export interface HubContext {
  config: HubConfig;
  db: Db;
  registry: SearchParamRegistry;
  validate: ResourceValidator;
  /** Whether validate can check a resource against this profile (a StructureDefinition the hub holds, VALIDATION=full). */
  knowsProfile?: (canonical: string) => boolean;
  /** The value sets and code systems the hub holds, for $expand, $validate-code and $lookup. */
  terminology: TerminologyService;
  /** The clock; tests may pin it. */
  now: () => Date;
  /** Access control and audit (src/security); absent, everything is allowed and nothing recorded. */
  guard?: InteractionGuard;
  /** Types served by their own store instead of the resource tables, by type name. */
  backends?: Record<string, TypeBackend>;
  /** Per resource type, what a client's write must go through before it is stored (e.g. Subscription). */
  writeRules?: Map<string, WriteRule>;
  /** Extensions of the CapabilityStatement's rest entry added by other layers (e.g. the websocket URL). */
  restExtensions?: Extension[];
  /** Workflows that take over some posted Bundles (src/workflows/liaison: MHD provide bundles, FHIR documents). */
  bundleIntakes?: BundleIntake[];
}

/** A workflow's claim on posted Bundles: `transaction` = POST [base] of a transaction, `create` = POST [base]/Bundle. */
export interface BundleIntake {
  takes(bundle: unknown, via: 'transaction' | 'create'): boolean;
  run(ctx: HubContext, req: FhirRequest, tx?: Queryable): Promise<FhirResponse>;
}

/** Who a write or an operation is done for, as the security layer knows them. */
export interface Caller {
  /** Nothing is checked (AUTH=off, or the hub's own work). */
  unrestricted: boolean;
  /** A stable reference to the caller: `Practitioner/[id]` for a professional, `client:[id]` for a system. */
  ownerRef?: string;
  display?: string;
  /** The caller's restriction (scopes, care relationship) without any break-the-glass waiver. */
  access?: AccessRule;
}

/** A type's own rule for clients' writes: may rewrite the resource or refuse the write with a FhirError. */
export interface WriteRule {
  /** Inside the write's transaction; `current` is the stored version being replaced (locked), if any. */
  beforeStore(tx: Queryable, incoming: Resource, current: StoredVersion | undefined): Promise<Resource>;
  /** Inside the delete's transaction, before the deletion is stored; throws to refuse it. */
  beforeDelete?(tx: Queryable, current: StoredVersion): Promise<void>;
  /** Inside the transaction, once the type's versions are stored (rids known): every write, the hub's own included. */
  afterStore?(tx: Queryable, writes: VersionWrite[]): Promise<void>;
}

/** The security layer's hooks into FHIR semantics: around each interaction, in each search, in each write. */
export interface InteractionGuard {
  /** Runs one interaction (an HTTP request or a Bundle entry) under the current caller's rights. */
  around(req: FhirRequest, tx: Queryable | undefined, run: () => Promise<FhirResponse>): Promise<FhirResponse>;
  /** The current caller's restriction, compiled into searches and includes; undefined: none. */
  access(): AccessRule | undefined;
  /** The current caller; undefined outside a request (the hub's own work). */
  caller(): Caller | undefined;
  /** The rows a search returned (matches and includes), for the audit trail. */
  noteReturned(rows: ReturnedRow[]): void;
  /** Inside the write's transaction: before the versions are stored, and after (rids then known). */
  beforeWrite(tx: Queryable, writes: VersionWrite[]): Promise<void>;
  afterWrite(tx: Queryable, writes: VersionWrite[]): Promise<void>;
}

/** A row served to the caller: a resource row (rid), or a row of a type with its own store, which knows its patients. */
export interface ReturnedRow {
  rid?: number;
  resType: string;
  id: string;
  patients?: string[];
}

/** A resource type served by its own store instead of the generic one (AuditEvent: the audit log). */
export interface TypeBackend {
  /** The interaction for a request on the type (path[0]) or a compartment search of it (path[2]); undefined: the generic one. */
  route(req: FhirRequest): ((ctx: HubContext, req: FhirRequest, tx?: Queryable) => Promise<FhirResponse>) | undefined;
  /** What the CapabilityStatement says of the type instead of the generic entry. */
  capability?: Partial<CapabilityStatementRestResource>;
}

/** Runs fn in the caller's transaction when there is one, else in a new one. */
export function inTransaction<T>(ctx: HubContext, tx: Queryable | undefined, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return tx ? fn(tx) : ctx.db.transaction(fn);
}
