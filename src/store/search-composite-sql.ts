// Composite parameters (FHIR R4 §3.1.1.4.9): `code$value`, each component matched within the same item.
// Components are indexed as `code#item.component` rows (see index-values.ts); the search joins the
// rows of one item by rewriting the component suffix of the first component's param.
import { errors } from '../fhir/errors';
import type { Filter } from '../fhir/search/parse';
import { plainValueSql, TABLE_OF } from './search-sql';
import { likeEscape, type SqlParams } from './sql-builder';

/** Splits `a$b` on unescaped dollars. */
function splitDollar(value: string): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < value.length; i++) {
    if (value[i] === '\\' && i + 1 < value.length) {
      cur += value[i] + value[i + 1];
      i++;
    } else if (value[i] === '$') {
      parts.push(cur);
      cur = '';
    } else cur += value[i];
  }
  parts.push(cur);
  return parts;
}

export function compositeCondition(p: SqlParams, f: Filter, baseUrl: string, alias: string): string {
  const components = f.def.resolvedComponents;
  if (!components) throw errors.notSupported(`Composite parameter "${f.def.code}" cannot be evaluated by the hub`);
  if (f.modifier) throw errors.badRequest(`Modifier ":${f.modifier}" is not supported on composite parameter "${f.def.code}"`, f.name, 'HUB-0425');
  const ors = f.values.map((value) => {
    const parts = splitDollar(value);
    if (parts.length !== components.length) {
      throw errors.badRequest(`"${f.name}" takes ${components.length} values separated by $, got "${value}"`, f.name, 'HUB-0424');
    }
    const joins: string[] = [];
    const conds = [`c0.res_type = ${p.bind(f.def.resourceType)}`, `c0.param LIKE ${p.bind(likeEscape(f.def.code + '#') + '%.0')}`];
    components.forEach((c, i) => {
      const a = `c${i}`;
      if (i > 0) joins.push(`JOIN ${TABLE_OF[c.type]} ${a} ON ${a}.rid = c0.rid AND ${a}.param = left(c0.param, -1) || '${i}'`);
      const sub: Filter = { ...f, def: { ...f.def, type: c.type }, modifier: undefined };
      // The value compilers address their table as `t`; here each component has its own alias.
      conds.push(plainValueSql(c.type, baseUrl)(p, parts[i], sub).replace(/\bt\./g, `${a}.`));
    });
    return `${alias}.rid IN (SELECT c0.rid FROM ${TABLE_OF[components[0].type]} c0 ${joins.join(' ')} WHERE ${conds.join(' AND ')})`;
  });
  return `(${ors.join(' OR ')})`;
}
