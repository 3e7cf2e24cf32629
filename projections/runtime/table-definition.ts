/**
 * A read-model table declared once (#23.1, #28.3 "rows declared once"): its columns with their types give the
 * `CREATE TABLE` of each dialect, the column list and the row's TypeScript type (`RowOf`), so the read.db projection
 * and its read-store twin cannot drift apart. The one mechanism for every read model (the message models, the
 * holdings, the person search, the reminder marks).
 */

/**
 * One column: its SQL type and whether it may be null; `T` is the value a row holds in it. `bigint` holds global log
 * positions and epoch milliseconds: INTEGER on SQLite (64-bit already), BIGINT on PostgreSQL (read back as numbers).
 */
export interface Column<T> {
  readonly type: 'text' | 'integer' | 'bigint';
  readonly notNull: boolean;
  readonly unique?: boolean;
  readonly default?: number;
  /** Never set: carries `T` for `RowOf`. */
  readonly value?: T;
}

export const column = {
  text: <T extends string = string>(options: { unique?: boolean } = {}): Column<T> => ({ type: 'text', notNull: true, ...options }),
  nullableText: <T extends string = string>(): Column<T | null> => ({ type: 'text', notNull: false }),
  integer: (defaultValue?: number): Column<number> => ({ type: 'integer', notNull: true, default: defaultValue }),
  nullableInteger: (): Column<number | null> => ({ type: 'integer', notNull: false }),
  bigint: (defaultValue?: number): Column<number> => ({ type: 'bigint', notNull: true, default: defaultValue }),
  nullableBigint: (): Column<number | null> => ({ type: 'bigint', notNull: false }),
};

export type ColumnSet = Record<string, Column<string | number | null>>;

/** A secondary index: its columns, or its columns and the condition of a partial index. */
export type IndexDefinition = readonly string[] | { readonly on: readonly string[]; readonly where: string };

export interface TableDefinition<C extends ColumnSet = ColumnSet> {
  /** The table's name; a generation's tables take theirs from `named` (rows.ts). */
  readonly name: string;
  readonly columns: C;
  /** Its columns (checked by `defineTable`; a plain string list here so any table passes where a table is asked). */
  readonly primaryKey: readonly string[];
  /**
   * A one-column key declared on its column (`id TEXT PRIMARY KEY`) instead of as a table constraint: how the
   * holdings tables were first created, kept so existing read.db files keep their DDL byte for byte.
   */
  readonly keyOnColumn?: boolean;
  /** Secondary indexes, named by their suffix: `{ profile: ['profile_id'] }` is `<name>_profile`. */
  readonly indexes?: Readonly<Record<string, IndexDefinition>>;
  /** SQLite: a table keyed by its primary key alone (no rowid): its rows live in the key's B-tree, one lookup per read. */
  readonly withoutRowid?: boolean;
}

export type RowOf<D extends { readonly columns: ColumnSet }> = {
  -readonly [K in keyof D['columns']]: D['columns'][K] extends Column<infer T> ? T : never;
};

/** The definition as given, its column types kept for `RowOf`, its key checked against its columns. */
export function defineTable<C extends ColumnSet>(
  definition: TableDefinition<C> & { readonly primaryKey: readonly (keyof C & string)[] },
): TableDefinition<C> {
  return definition;
}

/**
 * A table keyed by one column declared `PRIMARY KEY` on it, its rows in the key's B-tree (SQLite `WITHOUT ROWID`,
 * one lookup per read): the row projections' tables (`named` in rows.ts gives each generation its own).
 */
export function defineKeyedTable<C extends ColumnSet>(
  name: string,
  key: keyof C & string,
  table: Pick<TableDefinition<C>, 'columns' | 'indexes'>,
): TableDefinition<C> {
  return { name, primaryKey: [key], keyOnColumn: true, withoutRowid: true, ...table };
}

const SQL_TYPES: Record<'sqlite' | 'postgres', Record<Column<unknown>['type'], string>> = {
  sqlite: { text: 'TEXT', integer: 'INTEGER', bigint: 'INTEGER' },
  postgres: { text: 'TEXT', integer: 'INTEGER', bigint: 'BIGINT' },
};

/** `CREATE TABLE IF NOT EXISTS` of the table (as `name`, by default its own), indexes apart (`createIndexSql`). */
export function createTableSql(table: TableDefinition, dialect: 'sqlite' | 'postgres', name = table.name): string {
  const keyOnColumn = table.keyOnColumn === true;
  if (keyOnColumn && table.primaryKey.length !== 1) throw new Error(`${name}: a key on its column is one column`);
  const columns = Object.entries(table.columns).map(([column, spec]) =>
    [
      column,
      SQL_TYPES[dialect][spec.type],
      keyOnColumn && column === table.primaryKey[0] ? 'PRIMARY KEY' : spec.notNull ? 'NOT NULL' : '',
      spec.unique ? 'UNIQUE' : '',
      spec.default === undefined ? '' : `DEFAULT ${spec.default}`,
    ]
      .filter((part) => part !== '')
      .join(' '),
  );
  const constraints = keyOnColumn ? [] : [`PRIMARY KEY (${table.primaryKey.join(', ')})`];
  const rowid = dialect === 'sqlite' && table.withoutRowid ? ' WITHOUT ROWID' : '';
  return `CREATE TABLE IF NOT EXISTS ${name} (${[...columns, ...constraints].join(', ')})${rowid}`;
}

/** `CREATE INDEX IF NOT EXISTS` of each secondary index, by name (the same in both dialects). */
export function createIndexSql(table: TableDefinition, name = table.name): { name: string; create: string }[] {
  return Object.entries(table.indexes ?? {}).map(([suffix, index]) => {
    const [on, where] = 'on' in index ? [index.on, ` WHERE ${index.where}`] : [index, ''];
    return { name: `${name}_${suffix}`, create: `CREATE INDEX IF NOT EXISTS ${name}_${suffix} ON ${name} (${on.join(', ')})${where}` };
  });
}

/** The statements that create the table and its indexes (idempotent), one per element, for `dialect`. */
export function createTableStatements(table: TableDefinition, dialect: 'sqlite' | 'postgres'): string[] {
  return [createTableSql(table, dialect), ...createIndexSql(table).map((index) => index.create)];
}

/** The table's columns in declared order, for `SELECT` lists. */
export function columnList(table: TableDefinition): string {
  return Object.keys(table.columns).join(', ');
}
