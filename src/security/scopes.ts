// SMART App Launch v2 scopes (§ Scopes and Launch Context): context/type.cruds, with v1 read/write/* accepted.
export type ScopeContext = 'patient' | 'user' | 'system';
export type Permission = 'c' | 'r' | 'u' | 'd' | 's';

export interface ResourceScope {
  context: ScopeContext;
  /** A resource type, or '*' for every type. */
  type: string;
  permissions: Set<Permission>;
}

const V2 = /^(patient|user|system)\/([A-Za-z]+|\*)\.(c?r?u?d?s?)$/;
const V1 = /^(patient|user|system)\/([A-Za-z]+|\*)\.(read|write|\*)$/;
const V1_PERMISSIONS: Record<string, Permission[]> = { read: ['r', 's'], write: ['c', 'u', 'd'], '*': ['c', 'r', 'u', 'd', 's'] };

/** One scope string, or undefined when it grants no resource access (openid, launch, fhirUser...). */
export function parseScope(scope: string): ResourceScope | undefined {
  // A v2 scope with search restrictions (?category=...) is not honoured: granting it whole would grant too much.
  if (scope.includes('?')) return undefined;
  const v2 = V2.exec(scope);
  if (v2 && v2[3] !== '') return { context: v2[1] as ScopeContext, type: v2[2], permissions: new Set(v2[3].split('') as Permission[]) };
  const v1 = V1.exec(scope);
  if (v1) return { context: v1[1] as ScopeContext, type: v1[2], permissions: new Set(V1_PERMISSIONS[v1[3]]) };
  return undefined;
}

/** Types no wildcard covers: reading the audit trail takes a scope that names AuditEvent. */
export const EXPLICIT_ONLY_TYPES = new Set(['AuditEvent']);

export class ScopeSet {
  readonly scopes: ResourceScope[];

  constructor(
    readonly text: string,
    contexts: ScopeContext[],
  ) {
    const allowed = new Set(contexts);
    this.scopes = text
      .split(/\s+/)
      .filter(Boolean)
      .map(parseScope)
      .filter((s): s is ResourceScope => s !== undefined && allowed.has(s.context));
  }

  /** Whether some scope grants `permission` on `type`. */
  permits(type: string, permission: Permission): boolean {
    return this.scopes.some((s) => s.permissions.has(permission) && (s.type === type || (s.type === '*' && !EXPLICIT_ONLY_TYPES.has(type))));
  }

  /** Whether a wildcard scope grants `permission` (system-level search and history). */
  permitsEveryType(permission: Permission): boolean {
    return this.scopes.some((s) => s.type === '*' && s.permissions.has(permission));
  }

  /** The types readable (r or s) when not every type is: for includes and cross-type searches. */
  readableTypes(): { all: true; except: string[] } | { all: false; only: string[] } {
    const readable = this.scopes.filter((s) => s.permissions.has('r') || s.permissions.has('s'));
    const explicit = new Set(readable.filter((s) => s.type !== '*').map((s) => s.type));
    if (readable.some((s) => s.type === '*')) return { all: true, except: [...EXPLICIT_ONLY_TYPES].filter((t) => !explicit.has(t)) };
    return { all: false, only: [...explicit] };
  }

  has(context: ScopeContext): boolean {
    return this.scopes.some((s) => s.context === context);
  }

  /** The scopes of `requested` that `allowed` grants in full (token endpoint down-scoping). */
  static grantable(requested: string, allowed: string): string {
    const allowedSet = new ScopeSet(allowed, ['patient', 'user', 'system']);
    return requested
      .split(/\s+/)
      .filter(Boolean)
      .filter((scope) => {
        const s = parseScope(scope);
        if (!s) return false;
        return [...s.permissions].every((p) =>
          allowedSet.scopes.some((a) => a.context === s.context && a.permissions.has(p) && (a.type === '*' || a.type === s.type)),
        );
      })
      .join(' ');
  }
}
