// SubscriptionTopic definitions for R4 (Backport IG: topics as Basic with cross-version extensions), loaded from profiles/topics/.
import fs from 'node:fs';
import path from 'node:path';
import type { Basic, Extension } from '@medplum/fhirtypes';
import { checkFhirPath } from './topic-fhirpath';

const X5 = 'http://hl7.org/fhir/5.0/StructureDefinition/extension-SubscriptionTopic';
const X43 = 'http://hl7.org/fhir/4.3/StructureDefinition/extension-SubscriptionTopic';

export const TOPICS_DIR = path.resolve(__dirname, '..', '..', 'profiles', 'topics');

export interface TopicTrigger {
  resourceType: string;
  /** create | update | delete */
  interactions: Set<string>;
  /** queryCriteria.current: search parameters the resource must match after the change. */
  current: [string, string][];
  /** fhirPathCriteria: a FHIRPath test of the change over %previous and %current (topic-fhirpath.ts). */
  fhirPath?: string;
}

export interface Topic {
  url: string;
  title?: string;
  triggers: TopicTrigger[];
  /** filterParameter names allowed in backport-filter-criteria, per resource type. */
  canFilterBy: Map<string, Set<string>>;
  /** The resource as stored in profiles/topics/, for $topic-list or reads. */
  resource: Basic;
}

function sub(list: Extension[] | undefined, url: string): Extension[] {
  return (list ?? []).filter((e) => e.url === url);
}

function typeOf(uri: string | undefined): string | undefined {
  return uri?.split('/').pop();
}

function queryParams(query: string | undefined): [string, string][] {
  if (!query) return [];
  return query.split('&').filter(Boolean).map((pair) => {
    const eq = pair.indexOf('=');
    return [decodeURIComponent(pair.slice(0, eq)), decodeURIComponent(pair.slice(eq + 1))] as [string, string];
  });
}

/** Reads one Basic-encoded topic; undefined when the resource is not a SubscriptionTopic. */
export function topicFromBasic(basic: Basic): Topic | undefined {
  if (basic.resourceType !== 'Basic' || !basic.code?.coding?.some((c) => c.code === 'SubscriptionTopic')) return undefined;
  const url = sub(basic.extension, `${X5}.url`)[0]?.valueUri;
  if (!url) return undefined;
  const triggers: TopicTrigger[] = sub(basic.extension, `${X43}.resourceTrigger`).map((t) => {
    const resourceType = typeOf(sub(t.extension, 'resource')[0]?.valueUri) ?? '';
    const interactions = new Set(sub(t.extension, 'supportedInteraction').map((e) => e.valueCode!).filter(Boolean));
    const criteria = sub(t.extension, 'queryCriteria')[0];
    const current = queryParams(sub(criteria?.extension, 'current')[0]?.valueString);
    const fhirPath = sub(t.extension, 'fhirPathCriteria')[0]?.valueString;
    if (fhirPath) checkFhirPath(fhirPath);
    return { resourceType, interactions: interactions.size ? interactions : new Set(['create', 'update', 'delete']), current, fhirPath };
  });
  const canFilterBy = new Map<string, Set<string>>();
  for (const f of sub(basic.extension, `${X43}.canFilterBy`)) {
    const type = typeOf(sub(f.extension, 'resource')[0]?.valueUri) ?? '';
    const param = sub(f.extension, 'filterParameter')[0]?.valueString;
    if (!param) continue;
    if (!canFilterBy.has(type)) canFilterBy.set(type, new Set());
    canFilterBy.get(type)!.add(param);
  }
  return { url, title: sub(basic.extension, `${X5}.title`)[0]?.valueString, triggers, canFilterBy, resource: basic };
}

/** Every topic in `dir` (JSON files), by canonical URL. */
export function loadTopics(dir = TOPICS_DIR): Map<string, Topic> {
  const topics = new Map<string, Topic>();
  if (!fs.existsSync(dir)) return topics;
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const topic = topicFromBasic(JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')) as Basic);
    if (topic) topics.set(topic.url, topic);
  }
  return topics;
}

/**
 * The search parameters a topic subscription applies to `resourceType`: the trigger's current criteria plus the
 * subscription's filters for that type (`Type?name=value` or plain `name=value`). Throws on a filter the topic does not allow.
 */
export function topicSearchParams(topic: Topic, trigger: TopicTrigger, filters: string[]): [string, string][] {
  const params: [string, string][] = [...trigger.current];
  for (const filter of filters) {
    const q = filter.indexOf('?');
    const type = q > 0 ? filter.slice(0, q) : undefined;
    if (type && type !== trigger.resourceType) continue;
    for (const [name, value] of queryParams(q > 0 ? filter.slice(q + 1) : filter)) {
      const allowed = topic.canFilterBy.get(trigger.resourceType);
      const base = name.split(':')[0];
      if (allowed && !allowed.has(base) && base !== '_id') throw new Error(`Topic ${topic.url} cannot filter ${trigger.resourceType} by "${name}"`);
      params.push([name, value]);
    }
  }
  return params;
}
