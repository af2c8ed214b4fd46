// Validation settings (FHIR R4 §2.4 profiles and validation, as the hub enforces them): read once from the environment.
import { delimiter } from 'node:path';

/** full: base R4, meta.profile, required profiles and French identifiers; base: base R4 only; off: nothing (imports of trusted data). */
export type ValidationMode = 'full' | 'base' | 'off';

export interface ValidationSettings {
  mode: ValidationMode;
  /** Folders of FHIR packages (FHIR_PACKAGE_PATH); undefined: the repository defaults and ~/.fhir/packages. */
  packagePaths?: string[];
  /** Profiles every resource of a type must meet (REQUIRED_PROFILES=Patient=url1,url2;Practitioner=url3). */
  requiredProfiles: Record<string, string[]>;
  identifierSeverity: 'warning' | 'error';
  /** Store the packages' conformance resources so they can be read and searched (PACKAGE_RESOURCES=on|off). */
  packageResources: boolean;
}

function oneOf<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined || value === '') return fallback;
  if (!(allowed as readonly string[]).includes(value)) throw new Error(`${name} must be one of ${allowed.join(', ')}, got "${value}"`);
  return value as T;
}

/** `Patient=url1,url2;Practitioner=url3` → { Patient: [url1, url2], Practitioner: [url3] }. */
export function parseRequiredProfiles(text: string | undefined): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const part of (text ?? '').split(';').map((s) => s.trim()).filter(Boolean)) {
    const eq = part.indexOf('=');
    const type = part.slice(0, eq).trim();
    if (eq <= 0 || !/^[A-Z][A-Za-z]+$/.test(type)) throw new Error(`REQUIRED_PROFILES: expected Type=url[,url] in "${part}"`);
    const urls = part.slice(eq + 1).split(',').map((s) => s.trim()).filter(Boolean);
    if (urls.length === 0) throw new Error(`REQUIRED_PROFILES: no profile for ${type}`);
    out[type] = [...(out[type] ?? []), ...urls];
  }
  return out;
}

export function loadValidationSettings(env: NodeJS.ProcessEnv): ValidationSettings {
  return {
    mode: oneOf('VALIDATION', env.VALIDATION, ['full', 'base', 'off'] as const, 'full'),
    packagePaths: env.FHIR_PACKAGE_PATH ? env.FHIR_PACKAGE_PATH.split(delimiter).filter(Boolean) : undefined,
    requiredProfiles: parseRequiredProfiles(env.REQUIRED_PROFILES),
    identifierSeverity: oneOf('IDENTIFIER_CHECK_SEVERITY', env.IDENTIFIER_CHECK_SEVERITY, ['warning', 'error'] as const, 'warning'),
    packageResources: oneOf('PACKAGE_RESOURCES', env.PACKAGE_RESOURCES, ['on', 'off'] as const, 'on') === 'on',
  };
}
