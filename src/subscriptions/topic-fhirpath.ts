// Backport IG resourceTrigger.fhirPathCriteria: a FHIRPath test over %previous and %current (R5 SubscriptionTopic
// semantics), for triggers a search of the current state cannot express, such as "the members changed". Each event
// is judged on its own version and the one before it (resource_history), not on whatever is current now.
import fhirpath from 'fhirpath';
import r4model from 'fhirpath/fhir-context/r4';
import { logger } from '../logger';
import type { Queryable } from '../store/db';
import type { OutboxEvent } from './outbox-reader';

type Compiled = (resource: unknown, env: Record<string, unknown>) => unknown[];
const compiled = new Map<string, Compiled>();

function compile(expression: string): Compiled {
  let fn = compiled.get(expression);
  if (!fn) {
    fn = fhirpath.compile(expression as never, r4model as never) as unknown as Compiled;
    compiled.set(expression, fn);
  }
  return fn;
}

/** Throws when the expression does not parse (a topic file is checked when it is loaded). */
export function checkFhirPath(expression: string): void {
  compile(expression);
}

/**
 * The seqs of `events` whose change passes `expression` (true, as one boolean). A create has no %previous, a
 * deletion no %current (both then `{}`). An expression that fails at run time passes nothing, and is logged.
 */
export async function passingFhirPath(q: Queryable, expression: string, events: OutboxEvent[]): Promise<Set<number>> {
  const out = new Set<number>();
  if (events.length === 0) return out;
  const rids = events.flatMap((e) => [e.rid, e.rid]);
  const versions = events.flatMap((e) => [e.version, e.version - 1]);
  const r = await q.query<{ rid: string | number; version: number; content: string | null }>(
    `SELECT h.rid, h.version, h.content FROM resource_history h
       JOIN unnest($1::bigint[], $2::int[]) AS v(rid, version) ON h.rid = v.rid AND h.version = v.version`,
    [rids, versions],
  );
  const content = new Map(r.rows.map((row) => [`${row.rid}:${row.version}`, row.content]));
  const parse = (key: string): unknown => JSON.parse(content.get(key) ?? '{}');
  const fn = compile(expression);
  for (const e of events) {
    const current = parse(`${e.rid}:${e.version}`);
    const previous = e.action === 'create' ? {} : parse(`${e.rid}:${e.version - 1}`);
    try {
      const result = fn(current, { current, previous });
      if (result.length === 1 && result[0] === true) out.add(e.seq);
    } catch (err) {
      logger.warn({ err, expression, event: e.seq }, 'topic fhirPathCriteria could not be evaluated; event not matched');
    }
  }
  return out;
}
