// The validator a hub applies to every write and to $validate (FHIR R4 §2.4.1 validation, §2.41.5 $validate),
// chosen by VALIDATION: full (profiles, required profiles, French identifiers), base (R4 structure) or off.
import type { OperationOutcomeIssue } from '@medplum/fhirtypes';
import { issue } from '../fhir/errors';
import type { ResourceValidator } from '../fhir/hub-context';
import { validateBase } from './base';
import type { Issue } from './issue';
import type { PackageRegistry } from './packages';
import { loadPackages } from './packages/load';
import type { ValidationSettings } from './settings';
import { createValidator, type Validator } from './validator';

export interface HubValidation {
  validate: ResourceValidator;
  /** The loaded packages; undefined when neither full validation nor package resources need them. */
  registry?: PackageRegistry;
  /** The full validator (VALIDATION=full). */
  validator?: Validator;
}

/** A finding of the conformance module as an OperationOutcome issue (expression as an array). */
export function toOutcomeIssue(i: Issue): OperationOutcomeIssue {
  return issue({ severity: i.severity, code: i.code as OperationOutcomeIssue['code'], text: i.diagnostics, expression: i.expression });
}

export const baseValidator: ResourceValidator = (resource) => validateBase(resource).map(toOutcomeIssue);

const noValidation: ResourceValidator = () => [];

/** Loads the packages once (when something needs them) and builds the hub's validator. */
export function openValidation(settings: ValidationSettings): HubValidation {
  const needsPackages = settings.mode === 'full' || settings.packageResources;
  const registry = needsPackages ? loadPackages({ paths: settings.packagePaths }).registry : undefined;
  if (settings.mode === 'off') return { validate: noValidation, registry };
  if (settings.mode === 'base') return { validate: baseValidator, registry };
  const validator = createValidator({ packages: registry, requiredProfiles: settings.requiredProfiles, identifierSeverity: settings.identifierSeverity });
  const validate: ResourceValidator = (resource, options) => validator.validate(resource, { profiles: options?.profiles }).map(toOutcomeIssue);
  return { validate, registry, validator };
}
