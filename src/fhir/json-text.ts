// Parsing JSON request text (FHIR R4 §2.6.2 JSON representation) with a nesting limit: no real resource
// nests hundreds of levels deep, and recursive code (validation, indexing) must never see such input.
import { errors } from './errors';

export const MAX_JSON_DEPTH = 128;

/** The deepest nesting of objects and arrays in JSON text, stopping early past `limit`. */
export function jsonDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) {
      if (++depth > max) max = depth;
      if (max > limit) return max;
    } else if (c === 125 || c === 93) depth--;
  }
  return max;
}

/** JSON.parse with the errors a client can act on: 400 for malformed text or excessive nesting. */
export function parseJsonText(text: string, what = 'The body'): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw errors.invalidJson(`${what} is not valid JSON: ${(err as Error).message}`);
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw errors.invalidJson(`${what} nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`);
  return value;
}
