// Which RESTful interaction a request is (FHIR R4 §3.1.0, restful-interaction codes), for scopes and audit.
import type { FhirRequest } from '../fhir/request';
import type { Permission } from './scopes';

export type InteractionCode =
  | 'read' | 'vread' | 'update' | 'patch' | 'delete' | 'history-instance' | 'history-type' | 'history-system'
  | 'create' | 'search-type' | 'search-system' | 'search' | 'batch' | 'transaction' | 'operation' | 'capabilities';

export interface InteractionKind {
  code: InteractionCode;
  /** The resource type acted on; undefined at system level. */
  type?: string;
  /** The resource id of an instance-level interaction. */
  id?: string;
  /** For a compartment search: the compartment (e.g. Patient/123). */
  compartment?: { type: string; id: string };
  /** Types a system search names in _type. */
  types?: string[];
  /** The SMART permission the interaction needs. */
  permission?: Permission;
  /** BALP action: C, R, U, D or E. */
  action: 'C' | 'R' | 'U' | 'D' | 'E';
  /** A single-resource write, whose stored version is audited in its own transaction. */
  write: boolean;
}

export function classify(req: FhirRequest): InteractionKind {
  const p = req.path;
  const m = req.method === 'HEAD' ? 'GET' : req.method;
  const op = p.find((s) => s.startsWith('$'));
  if (op) {
    // Operations on a type or an instance read it at least: they take its read permission and its access check.
    const type = p[0].startsWith('$') ? undefined : p[0];
    return { code: 'operation', type, id: p.length > 2 ? p[1] : undefined, permission: type ? 'r' : undefined, action: 'E', write: false };
  }
  if (p.length === 0) {
    if (m === 'POST') {
      const type = (req.body as { type?: string } | undefined)?.type;
      return { code: type === 'batch' ? 'batch' : 'transaction', action: 'E', write: false };
    }
    return systemSearch(req);
  }
  if (p.length === 1) {
    if (p[0] === 'metadata') return { code: 'capabilities', action: 'R', write: false };
    if (p[0] === '_history') return { code: 'history-system', permission: 's', action: 'R', write: false };
    if (p[0] === '_search') return systemSearch(req);
    const byMethod: Record<string, InteractionKind> = {
      GET: { code: 'search-type', type: p[0], permission: 's', action: 'E', write: false },
      POST: { code: 'create', type: p[0], permission: 'c', action: 'C', write: true },
      PUT: { code: 'update', type: p[0], permission: 'u', action: 'U', write: true },
      PATCH: { code: 'patch', type: p[0], permission: 'u', action: 'U', write: true },
      DELETE: { code: 'delete', type: p[0], permission: 'd', action: 'D', write: true },
    };
    return byMethod[m] ?? { code: 'operation', type: p[0], action: 'E', write: false };
  }
  if (p.length === 2) {
    if (p[1] === '_search') return { code: 'search-type', type: p[0], permission: 's', action: 'E', write: false };
    if (p[1] === '_history') return { code: 'history-type', type: p[0], permission: 's', action: 'R', write: false };
    const byMethod: Record<string, InteractionKind> = {
      GET: { code: 'read', type: p[0], id: p[1], permission: 'r', action: 'R', write: false },
      PUT: { code: 'update', type: p[0], id: p[1], permission: 'u', action: 'U', write: true },
      PATCH: { code: 'patch', type: p[0], id: p[1], permission: 'u', action: 'U', write: true },
      DELETE: { code: 'delete', type: p[0], id: p[1], permission: 'd', action: 'D', write: true },
    };
    return byMethod[m] ?? { code: 'operation', type: p[0], id: p[1], action: 'E', write: false };
  }
  if (p[2] === '_history') {
    if (p.length === 3) return { code: 'history-instance', type: p[0], id: p[1], permission: 'r', action: 'R', write: false };
    return { code: 'vread', type: p[0], id: p[1], permission: 'r', action: 'R', write: false };
  }
  return { code: 'search', type: p[2], compartment: { type: p[0], id: p[1] }, permission: 's', action: 'E', write: false };
}

function systemSearch(req: FhirRequest): InteractionKind {
  const types = req.params.filter(([k]) => k === '_type').flatMap(([, v]) => v.split(',')).filter(Boolean);
  return { code: 'search-system', types, permission: 's', action: 'E', write: false };
}
