import type Database from 'better-sqlite3';

/** Prepared statements by SQL text: preparing on every event would dominate a rebuild. Cleared on reset. */
export class Statements {
  private readonly cache = new Map<string, Database.Statement>();

  get(db: Database.Database, sql: string): Database.Statement {
    let statement = this.cache.get(sql);
    if (!statement) {
      statement = db.prepare(sql);
      this.cache.set(sql, statement);
    }
    return statement;
  }

  clear(): void {
    this.cache.clear();
  }
}
