// What every FHIR interaction needs: storage, the search registry, validation and settings.
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { HubConfig } from '../config';
import type { TerminologyService } from '../conformance/terminology-service';
import type { AccessRule } from '../store/access-sql';
import type { Db, Queryable } from '../store/db';
import type { VersionWrite } from '../store/resource-store';
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
}

/** The security layer's hooks into FHIR semantics: around each interaction, in each search, in each write. */
export interface InteractionGuard {
  /** Runs one interaction (an HTTP request or a Bundle entry) under the current caller's rights. */
  around(req: FhirRequest, tx: Queryable | undefined, run: () => Promise<FhirResponse>): Promise<FhirResponse>;
  /** The current caller's restriction, compiled into searches and includes; undefined: none. */
  access(): AccessRule | undefined;
  /** The rows a search returned (matches and includes), for the audit trail. */
  noteReturned(rows: { rid: number; resType: string; id: string }[]): void;
  /** Inside the write's transaction: before the versions are stored, and after (rids then known). */
  beforeWrite(tx: Queryable, writes: VersionWrite[]): Promise<void>;
  afterWrite(tx: Queryable, writes: VersionWrite[]): Promise<void>;
}

/** Runs fn in the caller's transaction when there is one, else in a new one. */
export function inTransaction<T>(ctx: HubContext, tx: Queryable | undefined, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return tx ? fn(tx) : ctx.db.transaction(fn);
}
