// What every FHIR interaction needs: storage, the search registry, validation and settings.
import type { OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import type { HubConfig } from '../config';
import type { Db, Queryable } from '../store/db';
import type { SearchParamRegistry } from './search/registry';

export type ResourceValidator = (resource: Resource) => OperationOutcomeIssue[];

export interface HubContext {
  config: HubConfig;
  db: Db;
  registry: SearchParamRegistry;
  validate: ResourceValidator;
  /** The clock; tests may pin it. */
  now: () => Date;
}

/** Runs fn in the caller's transaction when there is one, else in a new one. */
export function inTransaction<T>(ctx: HubContext, tx: Queryable | undefined, fn: (tx: Queryable) => Promise<T>): Promise<T> {
  return tx ? fn(tx) : ctx.db.transaction(fn);
}
