import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Client } from 'pg';

/**
 * PostgreSQL for tests: PG_TEST_URL, else the local server of these machines. Each suite works in a schema or a
 * database of its own, named at random, and drops it afterwards.
 */
export const PG_TEST_URL = process.env['PG_TEST_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * Whether the server answers, asked once per process in a child (jest decides which suites run before any test
 * can await): undefined when it does, else why not.
 */
export function postgresUnavailableReason(url = PG_TEST_URL): string | undefined {
  const probe = spawnSync(
    process.execPath,
    [
      '-e',
      `const { Client } = require('pg');
       const c = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
       c.connect().then(() => c.query('SELECT 1')).then(() => c.end()).then(
         () => process.exit(0),
         (e) => { process.stderr.write(String(e.message || e)); process.exit(1); });`,
      url,
    ],
    { encoding: 'utf8', timeout: 10_000 },
  );
  if (probe.status === 0) return undefined;
  const where = url.replace(/\/\/[^@/]*@/, '//');
  return `${where} does not answer (${(probe.stderr || probe.error?.message || 'no answer').trim().split('\n')[0]})`;
}

/** A fresh random name for a schema or database: lower-case letters, digits and underscores. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${randomUUID().replaceAll('-', '').slice(0, 16)}`;
}

async function admin<T>(url: string, work: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export function dropSchema(schema: string, url = PG_TEST_URL): Promise<void> {
  return admin(url, async (client) => {
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  });
}

/** Creates an empty database beside the test one; resolves with its URL. */
export function createDatabase(name: string, url = PG_TEST_URL): Promise<string> {
  return admin(url, async (client) => {
    await client.query(`CREATE DATABASE ${name}`);
    const target = new URL(url);
    target.pathname = `/${name}`;
    return target.toString();
  });
}

/** Drops a database even while connections to it linger (a process killed mid-test). */
export function dropDatabase(name: string, url = PG_TEST_URL): Promise<void> {
  return admin(url, async (client) => {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  });
}

/** describe when PostgreSQL answers; else describe.skip and ONE line saying what was skipped and why. */
export function describeWithPostgres(name: string, body: () => void): void {
  const reason = postgresUnavailableReason();
  if (reason) {
    process.stdout.write(`${name} SKIPPED: ${reason}\n`);
    describe.skip(name, body);
  } else {
    describe(name, body);
  }
}

/** A fresh, uniquely named database; its URL and a function that drops it. */
export async function createTestDatabase(prefix = 'recert_test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = uniqueName(prefix);
  return { url: await createDatabase(name), drop: () => dropDatabase(name) };
}
