/**
 * A read-model table declared once (#23.1, #28.3 "rows declared once"): its columns with their types give the
 * `CREATE TABLE` of each dialect, the column list and the row's TypeScript type, so the read.db projection and its
 * read-store twin cannot drift apart.
 */
export type ColumnType = 'text' | 'integer' | 'bigint';

export interface ColumnDefinition {
  /** `bigint`: epoch milliseconds and the like, INTEGER on SQLite (64-bit already), BIGINT on PostgreSQL. */
  readonly type: ColumnType;
  readonly notNull?: boolean;
  readonly unique?: boolean;
  readonly default?: number;
}

export interface TableDefinition {
  readonly name: string;
  readonly columns: Readonly<Record<string, ColumnDefinition>>;
  readonly primaryKey: readonly string[];
  /** Secondary indexes, named by their suffix: `{ profile: ['profile_id'] }` is `<name>_profile`. */
  readonly indexes?: Readonly<Record<string, readonly string[]>>;
  /** SQLite: a table keyed by its primary key alone (no rowid). */
  readonly withoutRowid?: boolean;
}

type ValueOf<C extends ColumnDefinition> = (C['type'] extends 'text' ? string : number) | (C['notNull'] extends true ? never : null);

/** A row of the table as the adapters give it back (numbers as numbers on both). */
export type RowOf<T extends TableDefinition> = { -readonly [K in keyof T['columns']]: ValueOf<T['columns'][K]> };

const SQL_TYPES: Record<'sqlite' | 'postgres', Record<ColumnType, string>> = {
  sqlite: { text: 'TEXT', integer: 'INTEGER', bigint: 'INTEGER' },
  postgres: { text: 'TEXT', integer: 'INTEGER', bigint: 'BIGINT' },
};

/** The statements that create the table and its indexes (idempotent), one per element, for `dialect`. */
export function createTableStatements(table: TableDefinition, dialect: 'sqlite' | 'postgres'): string[] {
  const columns = Object.entries(table.columns).map(([name, column]) =>
    [
      name,
      SQL_TYPES[dialect][column.type],
      column.notNull ? 'NOT NULL' : '',
      column.unique ? 'UNIQUE' : '',
      column.default === undefined ? '' : `DEFAULT ${column.default}`,
    ]
      .filter((part) => part !== '')
      .join(' '),
  );
  const rowid = dialect === 'sqlite' && table.withoutRowid ? ' WITHOUT ROWID' : '';
  return [
    `CREATE TABLE IF NOT EXISTS ${table.name} (${[...columns, `PRIMARY KEY (${table.primaryKey.join(', ')})`].join(', ')})${rowid}`,
    ...Object.entries(table.indexes ?? {}).map(
      ([suffix, on]) => `CREATE INDEX IF NOT EXISTS ${table.name}_${suffix} ON ${table.name} (${on.join(', ')})`,
    ),
  ];
}

/** The same, as one script for better-sqlite3's `exec` (the read.db projections). */
export function createTableSql(table: TableDefinition): string {
  return createTableStatements(table, 'sqlite').join(';\n');
}

/** The table's columns in declared order, for `SELECT` lists. */
export function columnList(table: TableDefinition): string {
  return Object.keys(table.columns).join(', ');
}
