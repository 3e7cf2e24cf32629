import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Client } from 'pg';

/** The server PG suites use: POSTGRES_TEST_URL, else the local PostgreSQL 15 of the development machines. */
export const POSTGRES_TEST_URL = process.env['POSTGRES_TEST_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';

let probed: { reason: string | null } | undefined;

/**
 * Why PostgreSQL cannot be used (null when it answers). Synchronous, so a spec can choose describe or describe.skip
 * at load time: a short child process tries to connect.
 */
export function postgresUnavailable(): string | null {
  if (probed) return probed.reason;
  const script = `const { Client } = require('pg');
    const c = new Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
    c.connect().then(() => c.query('SELECT 1')).then(() => c.end()).then(() => process.exit(0), (e) => { process.stdout.write(String(e.message || e)); process.exit(1); });`;
  try {
    execFileSync(process.execPath, ['-e', script, POSTGRES_TEST_URL], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 15_000 });
    probed = { reason: null };
  } catch (error) {
    const output = (error as { stdout?: Buffer }).stdout?.toString().trim();
    probed = { reason: `PostgreSQL at ${POSTGRES_TEST_URL} does not answer${output ? ` (${output})` : ''}` };
  }
  return probed.reason;
}

/** describe when PostgreSQL answers; else describe.skip and ONE line saying what was skipped and why. */
export function describeWithPostgres(name: string, body: () => void): void {
  const reason = postgresUnavailable();
  if (reason) {
    process.stdout.write(`${name} SKIPPED: ${reason}\n`);
    describe.skip(name, body);
  } else {
    describe(name, body);
  }
}

/** A fresh, uniquely named database; returns its URL and a function that drops it. */
export async function createTestDatabase(prefix = 'recert_test'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: POSTGRES_TEST_URL });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_TEST_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: async () => {
      const client = new Client({ connectionString: POSTGRES_TEST_URL });
      await client.connect();
      try {
        await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await client.end();
      }
    },
  };
}
