// The count of a search whose criteria are all index look-ups reads the index rows alone (search-compile.ts);
// an access rule that restricts nothing for the type (a system client's scopes) must not take that away.
import { parseSearch } from '../../src/fhir/search/parse';
import { baseSearchParams } from '../../src/fhir/search/registry';
import { resourceTypes } from '../../src/fhir/definitions';
import type { AccessRule } from '../../src/store/access-sql';
import { compileSearch } from '../../src/store/search-compile';

const registry = baseSearchParams(resourceTypes());
const compiled = (access?: AccessRule) => {
  const q = parseSearch(registry, 'Observation', [['code', 'http://loinc.org|8867-4']], { lenient: false, defaultCount: 20, maxCount: 1000 });
  return compileSearch({ ...q, access }, 'http://hub.example/fhir');
};

test('a system client whose scopes cover the type counts from the index, like an unrestricted search', () => {
  const open = compiled();
  const system = compiled({ types: { all: true, except: ['AuditEvent'] } });
  expect(open.countSql).toBeDefined();
  expect(system.countSql).toBe(open.countSql);
  expect(system.where).toBe(open.where);
});

test('a rule that restricts the type keeps its condition, in the search and in its count', () => {
  const professional = compiled({ types: { all: true, except: [] }, care: { practitioners: ['p'], roles: [], organizations: [], breakGlass: false } });
  // The care relationship is itself a look-up of index rows: the count applies it as one more semi-join.
  expect(professional.where).toContain('idx_reference');
  expect(professional.countSql).toContain('idx_reference');
  const noObservations = compiled({ types: { all: false, only: ['Patient'] } });
  expect(noObservations.where).toMatch(/AND FALSE$/);
  expect(noObservations.countSql).toBeUndefined();
});
