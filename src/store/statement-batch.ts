// Several data-modifying statements sent as one (data-modifying WITH queries), so a write costs one
// round trip to the database instead of one per table: on a small machine each round trip (a socket
// write that wakes PostgreSQL, and back) costs more CPU than the statement itself. The parts share one
// snapshot: a part sees no other part's effects except through RETURNING rows it reads by name, which
// is why the store sends the deletes of an update separately, before the inserts.
import type { Queryable } from './db';

export class StatementBatch {
  private readonly parts: { name: string; sql: string }[] = [];
  private readonly params: unknown[] = [];

  /** Adds one INSERT/UPDATE/DELETE whose placeholders are numbered from $1; `name` lets later parts read its RETURNING rows. */
  add(sql: string, params: unknown[], name = `w${this.parts.length}`): void {
    const offset = this.params.length;
    this.parts.push({ name, sql: offset === 0 ? sql : sql.replace(/\$(\d+)/g, (_, n: string) => `$${offset + Number(n)}`) });
    this.params.push(...params);
  }

  /** Runs every part; `select` is the outer query (it may read named parts) and gives the rows returned. */
  async run<T = Record<string, unknown>>(q: Queryable, select = 'SELECT 1'): Promise<T[]> {
    if (this.parts.length === 0) return [];
    if (this.parts.length === 1 && select === 'SELECT 1') {
      await q.query(this.parts[0].sql, this.params);
      return [];
    }
    const sql = `WITH ${this.parts.map((p) => `${p.name} AS (${p.sql})`).join(', ')} ${select}`;
    return (await q.query<T>(sql, this.params)).rows;
  }
}
