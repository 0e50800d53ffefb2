/**
 * What the backup and the restore read from Postgres's catalogs: the tables of
 * the service's schema and their columns, their foreign keys, their
 * sequences. The service's schema is the one its unqualified names land in
 * (`current_schema()`, `public` unless the server says otherwise).
 */
import type pg from 'pg';

export interface Column {
  readonly name: string;
  /** As format_type() writes it (`uuid`, `text[]`, `timestamp with time zone`). */
  readonly type: string;
}

export interface Table {
  readonly name: string;
  readonly columns: readonly Column[];
}

export interface ForeignKey {
  readonly name: string;
  readonly table: string;
  readonly references: string;
  /** pg_get_constraintdef(): `FOREIGN KEY (item_id) REFERENCES items(id)`. */
  readonly definition: string;
}

export interface SequenceValue {
  readonly name: string;
  readonly lastValue: string;
  readonly isCalled: boolean;
}

export async function currentSchema(client: pg.ClientBase): Promise<string> {
  const { rows } = await client.query<{ schema: string | null }>('select current_schema() as schema');
  const schema = rows[0]?.schema;
  if (!schema) throw new Error('The database has no schema to use: current_schema() is null (is search_path empty, or schema public dropped?).');
  return schema;
}

/** Every ordinary table of the schema, with its stored columns in order (generated columns are not stored by COPY). */
export async function tablesOf(client: pg.ClientBase, schema: string): Promise<Table[]> {
  const { rows } = await client.query<{ table: string; columns: Column[] }>(
    `select c.relname as table,
            json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) order by a.attnum) as columns
       from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
       join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped and a.attgenerated = ''
      where n.nspname = $1 and c.relkind in ('r', 'p') and not c.relispartition
      group by c.relname
      order by c.relname`,
    [schema],
  );
  return rows.map((r) => ({ name: r.table, columns: r.columns }));
}

export async function foreignKeysOf(client: pg.ClientBase, schema: string): Promise<ForeignKey[]> {
  const { rows } = await client.query<ForeignKey>(
    `select con.conname as name, c.relname as table, r.relname as references, pg_get_constraintdef(con.oid) as definition
       from pg_constraint con
       join pg_class c on c.oid = con.conrelid
       join pg_class r on r.oid = con.confrelid
       join pg_namespace n on n.oid = c.relnamespace
      where con.contype = 'f' and n.nspname = $1
      order by c.relname, con.conname`,
    [schema],
  );
  return rows;
}

export interface IndexDefinition {
  readonly name: string;
  /** The statement that drops it (an index, or the primary key or unique constraint it enforces). */
  readonly drop: string;
  /** The statement that builds it again as it was. */
  readonly create: string;
}

/**
 * Every index of the schema's tables, as statements to drop and rebuild it:
 * a primary key, unique or exclusion constraint through its constraint, any
 * other index through pg_get_indexdef. Foreign keys must be gone before the
 * unique indexes they rest on are dropped.
 */
export async function indexesOf(client: pg.ClientBase, schema: string): Promise<IndexDefinition[]> {
  const { rows } = await client.query<{ index: string; table: string; constraint: string | null; constraint_def: string | null; index_def: string }>(
    `select i.relname as index, t.relname as table, con.conname as constraint, pg_get_constraintdef(con.oid) as constraint_def,
            pg_get_indexdef(x.indexrelid) as index_def
       from pg_index x
       join pg_class i on i.oid = x.indexrelid
       join pg_class t on t.oid = x.indrelid
       join pg_namespace n on n.oid = t.relnamespace
       left join pg_constraint con on con.conindid = x.indexrelid and con.contype in ('p', 'u', 'x') and con.conrelid = t.oid
      where n.nspname = $1 and t.relkind in ('r', 'p')
      order by t.relname, i.relname`,
    [schema],
  );
  return rows.map((r) =>
    r.constraint !== null && r.constraint_def !== null
      ? {
          name: r.index,
          drop: `alter table ${qualified(client, schema, r.table)} drop constraint ${client.escapeIdentifier(r.constraint)}`,
          create: `alter table ${qualified(client, schema, r.table)} add constraint ${client.escapeIdentifier(r.constraint)} ${r.constraint_def}`,
        }
      : { name: r.index, drop: `drop index ${qualified(client, schema, r.index)}`, create: r.index_def },
  );
}

/** Every sequence of the schema (identity columns' included) with its current value. */
export async function sequencesOf(client: pg.ClientBase, schema: string): Promise<SequenceValue[]> {
  const { rows } = await client.query<{ name: string }>(
    `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind = 'S' order by c.relname`,
    [schema],
  );
  const values: SequenceValue[] = [];
  for (const { name } of rows) {
    // A sequence is not transactional: this is its value now, never less than at the snapshot.
    const value = await client.query<{ last_value: string; is_called: boolean }>(`select last_value::text, is_called from ${qualified(client, schema, name)}`);
    const row = value.rows[0];
    if (row) values.push({ name, lastValue: row.last_value, isCalled: row.is_called });
  }
  return values;
}

/** What the schema holds: tables, views, sequences, functions. Empty when all are zero. */
export async function schemaContents(client: pg.ClientBase, schema: string): Promise<{ tables: number; others: number }> {
  const { rows } = await client.query<{ tables: number; others: number }>(
    `select (select count(*)::int from pg_class c where c.relnamespace = n.oid and c.relkind in ('r', 'p')) as tables,
            (select count(*)::int from pg_class c where c.relnamespace = n.oid and c.relkind in ('v', 'm', 'S', 'f'))
          + (select count(*)::int from pg_proc p where p.pronamespace = n.oid)
          + (select count(*)::int from pg_type t where t.typnamespace = n.oid and t.typtype in ('e', 'd', 'r', 'm')) as others
       from pg_namespace n where n.nspname = $1`,
    [schema],
  );
  return rows[0] ?? { tables: 0, others: 0 };
}

/**
 * Drops everything the schema holds (for a restore over a database that is
 * not empty, when the operator asked for it), keeping the schema itself with
 * its owner and grants. Inside the restore's transaction: undone if it fails.
 */
export async function emptySchema(client: pg.ClientBase, schema: string): Promise<void> {
  const relations = await client.query<{ name: string; kind: string }>(
    `select c.relname as name, c.relkind as kind from pg_class c join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = $1 and c.relkind in ('r', 'p', 'v', 'm', 'f', 'S')
        and not exists (select 1 from pg_depend d where d.classid = 'pg_class'::regclass and d.objid = c.oid and d.deptype in ('a', 'i'))`,
    [schema],
  );
  const kinds: Record<string, string> = { r: 'table', p: 'table', v: 'view', m: 'materialized view', f: 'foreign table', S: 'sequence' };
  for (const { name, kind } of relations.rows) {
    await client.query(`drop ${kinds[kind] ?? 'table'} if exists ${qualified(client, schema, name)} cascade`);
  }
  const functions = await client.query<{ signature: string }>(
    `select p.oid::regprocedure::text as signature from pg_proc p join pg_namespace n on n.oid = p.pronamespace where n.nspname = $1`,
    [schema],
  );
  // regprocedure text is already quoted and qualified as search_path requires.
  for (const { signature } of functions.rows) await client.query(`drop routine if exists ${signature} cascade`);
  const types = await client.query<{ name: string }>(
    `select t.typname as name from pg_type t join pg_namespace n on n.oid = t.typnamespace where n.nspname = $1 and t.typtype in ('e', 'd', 'r', 'm')`,
    [schema],
  );
  for (const { name } of types.rows) await client.query(`drop type if exists ${qualified(client, schema, name)} cascade`);
}

/**
 * Tables ordered so that a table comes after every table it references (its
 * parents), where the references allow it: a cycle (items and item_decisions
 * name each other) is broken by name. A restore needs no order (it adds the
 * foreign keys after the rows); the order makes the file read top down.
 */
export function dependencyOrder(tables: readonly Table[], foreignKeys: readonly ForeignKey[]): Table[] {
  const parents = new Map<string, Set<string>>(tables.map((t) => [t.name, new Set<string>()]));
  for (const fk of foreignKeys) {
    if (fk.table !== fk.references && parents.has(fk.references)) parents.get(fk.table)?.add(fk.references);
  }
  const ordered: Table[] = [];
  const remaining = [...tables].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const placed = new Set<string>();
  while (remaining.length > 0) {
    let next = remaining.findIndex((t) => [...(parents.get(t.name) ?? [])].every((p) => placed.has(p)));
    if (next === -1) next = 0;
    const [table] = remaining.splice(next, 1);
    if (!table) break;
    placed.add(table.name);
    ordered.push(table);
  }
  return ordered;
}

export function qualified(client: pg.ClientBase, schema: string, name: string): string {
  return `${client.escapeIdentifier(schema)}.${client.escapeIdentifier(name)}`;
}

/** Session settings that make COPY text the same whoever reads or writes it: exact floats, ISO dates, UTF-8. */
export async function setPortableSession(client: pg.ClientBase): Promise<void> {
  await client.query(`set client_encoding = 'UTF8'; set datestyle = 'ISO, YMD'; set intervalstyle = 'postgres'; set extra_float_digits = 3;
                      set timezone = 'UTC'; set statement_timeout = 0; set idle_in_transaction_session_timeout = 0`);
}
