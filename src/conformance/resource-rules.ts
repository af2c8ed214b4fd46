// Resource-level rules checked natively: dom-3 (contained resources must be referenced, FHIR R4 §2.36
// DomainResource) and Attachment.size / Attachment.hash against inline data (§2.24.0.2 Attachment).
import { createHash } from 'node:crypto';
import type { Issue } from './issue';

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Every string under a `reference` key, and every canonical/uri value starting with '#'. */
function localReferences(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) {
    for (const x of node) localReferences(x, out);
  } else if (isObject(node)) {
    for (const [k, v] of Object.entries(node)) {
      if (typeof v === 'string' && v.startsWith('#') && (k === 'reference' || k.startsWith('value') || k === 'url')) out.add(v);
      else if (typeof v === 'object') localReferences(v, out);
    }
  }
}

export function checkContainedReferenced(resource: Json, path: string): Issue[] {
  const contained = resource.contained;
  if (!Array.isArray(contained) || contained.length === 0) return [];
  const refs = new Set<string>();
  for (const [k, v] of Object.entries(resource)) if (k !== 'contained') localReferences(v, refs);
  const issues: Issue[] = [];
  contained.forEach((c, i) => {
    if (!isObject(c) || typeof c.id !== 'string') return;
    const back = new Set<string>();
    localReferences(c, back);
    // Referenced from the container, from another contained resource, or referring back to the container ('#').
    const fromSiblings = contained.some((o, j) => j !== i && isObject(o) && (() => { const s = new Set<string>(); localReferences(o, s); return s.has(`#${c.id}`); })());
    if (!refs.has(`#${c.id}`) && !back.has('#') && !fromSiblings) {
      issues.push({ severity: 'error', code: 'invariant', expression: `${path}.contained[${i}]`, diagnostics: `Contained resource '${c.id}' is not referenced from the containing resource, nor does it refer to it (dom-3)` });
    }
  });
  return issues;
}

/** Attachments carrying inline data whose declared size or SHA-1 hash disagree with that data. */
export function checkAttachments(node: unknown, path: string, issues: Issue[] = []): Issue[] {
  if (Array.isArray(node)) {
    node.forEach((x, i) => checkAttachments(x, `${path}[${i}]`, issues));
  } else if (isObject(node)) {
    if (typeof node.data === 'string' && (node.size !== undefined || node.hash !== undefined)) {
      const bytes = Buffer.from(node.data, 'base64');
      if (typeof node.size === 'number' && node.size !== bytes.length) {
        issues.push({ severity: 'error', code: 'value', expression: path, diagnostics: `Attachment size ${node.size} does not match the size of its data (${bytes.length} bytes)` });
      }
      if (typeof node.hash === 'string') {
        const actual = createHash('sha1').update(bytes).digest('base64');
        if (actual !== node.hash) issues.push({ severity: 'error', code: 'value', expression: path, diagnostics: `Attachment hash '${node.hash}' does not match the SHA-1 of its data ('${actual}')` });
      }
    }
    for (const [k, v] of Object.entries(node)) if (typeof v === 'object' && v !== null && k !== 'contained' && k !== 'resource') checkAttachments(v, `${path}.${k}`, issues);
  }
  return issues;
}
