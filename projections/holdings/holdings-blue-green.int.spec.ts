import Database from 'better-sqlite3';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { SqliteEventStore } from '@recert/eventstore';
import { projectRoot } from '@recert/kernel';
import { PolicyBook, policyStream } from '@recert/domain';
import { seedHoldingsLog } from '../../test/support/holdings-log';
import { spawnTypeScript } from '../../test/support/processes';
import { describeWithPostgres, dropSchema, PG_TEST_URL, uniqueName } from '../../test/support/postgres';
import { eventually } from '../../test/support/wait';
import { PostgresReadStore } from '../runtime/postgres-read-store';
import { ProjectionRunner } from '../runtime/projection-runner';
import type { Row } from '../runtime/rows';
import { holdingsGeneration } from './holdings.model';
import { HoldingsProjection, SERVING_VIEWS } from './holdings.projection';

const root = projectRoot();
const shipped = JSON.parse(readFileSync(join(root, 'config', 'policy.json'), 'utf8')) as Record<string, unknown>[];
const last = shipped[shipped.length - 1] ?? {};
/** Windows open three months before expiry instead of six, for holdings expiring from 2027 on. */
const adopted = { ...last, version: '2026-12-15', effectiveFrom: '2026-12-15T00:00:00Z', window: { beforeExpiry: 'P3M' } };
const oldBook = PolicyBook.parse(shipped);
const newBook = PolicyBook.parse([...shipped, adopted]);

interface Child {
  child: ChildProcess;
  output: () => string;
  exited: Promise<void>;
}

/** Which generations a process said it served, in order. */
const servedBy = (process: Child): string[] => [...process.output().matchAll(/^serving (\S+)$/gm)].map((match) => match[1] ?? '');

/**
 * #23.4 (R136, R137): two processes share a PostgreSQL read store. A policy adoption makes exactly one of them build
 * the new holdings generation (the lease holder of `holdings@<generation>`); both serve the old generation until the
 * swap and the new one after it (the views every replica reads are replaced in the swap's transaction); the rows then
 * equal a rebuild under the new policy, and the old generation's tables are gone.
 */
describeWithPostgres('R136/R137 holdings blue/green on a shared PostgreSQL read store (#23.4)', () => {
  const schema = uniqueName('recert_bg');
  const url = `${PG_TEST_URL}?readStoreSchema=${schema}`;
  let dir: string;
  let store: SqliteEventStore;
  let readStore: PostgresReadStore;
  const children: Child[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'recert-blue-green-'));
    await seedHoldingsLog(dir, oldBook);
    store = new SqliteEventStore({ file: join(dir, 'events.db'), synchronous: 'NORMAL', pollIntervalMs: 10 });
    readStore = await PostgresReadStore.open(url);
  }, 120_000);

  afterAll(async () => {
    for (const { child, exited } of children) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    }
    await readStore?.close();
    await store?.close();
    await dropSchema(schema);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  /** The rows of a rebuild from zero under `book`, table by table in the model's order. */
  const rebuilt = async (book: PolicyBook): Promise<Row[][]> => {
    const db = new Database(':memory:');
    const projection = new HoldingsProjection(book, 'reference');
    const runner = new ProjectionRunner(store, db, [projection], { pipelinedRebuild: false });
    runner.start();
    expect(await runner.waitFor(await store.headPosition(), 60_000)).toBe(true);
    await runner.stop();
    const rows = projection.tables.map((table) => db.prepare(`SELECT * FROM ${table.name} ORDER BY ${table.key}`).all() as Row[]);
    db.close();
    return rows;
  };
  /** What every replica reads now: the serving views. */
  const served = async (): Promise<Row[][]> => {
    const views = [SERVING_VIEWS.holdings, SERVING_VIEWS.profiles, SERVING_VIEWS.verifications];
    const keys = ['holding_id', 'profile_id', 'verification_id'];
    return Promise.all(views.map((view, i) => readStore.query<Row>(`SELECT * FROM ${view} ORDER BY ${keys[i] ?? ''}`)));
  };
  const record = async (): Promise<string | undefined> =>
    (await readStore.query<{ generation: string }>("SELECT generation FROM read_model_generations WHERE name = 'holdings'"))[0]?.generation;
  const checkpoint = async (name: string): Promise<number> => (await readStore.checkpoint(name))?.position ?? 0;

  it('R136/R137 an adoption is built once for the deployment, swapped for both processes at once, rows equal a rebuild under the new policy', async () => {
    const oldGeneration = holdingsGeneration(oldBook);
    const newGeneration = holdingsGeneration(newBook);
    const head = await store.headPosition();
    const start = (): Child => {
      const started = spawnTypeScript(join('test', 'support', 'holdings-process.ts'), {
        EVENTS_FILE: join(dir, 'events.db'),
        READ_STORE_URL: url,
        LEASE_MS: '1500',
        READ_DELAY_MS: '40',
      });
      children.push(started);
      return started;
    };
    const a = start();
    const b = start();
    const both = [a, b];
    await eventually('both to serve the shipped generation', () =>
      both.every((p) => servedBy(p)[0] === oldGeneration) ? true : undefined,
    );
    await eventually(
      'the shipped generation built',
      async () => ((await checkpoint(`holdings@${oldGeneration}`)) >= head ? true : undefined),
      120_000,
    );
    const before = await rebuilt(oldBook);
    expect(await served()).toEqual(before);

    // The adoption, as the write path stores it; each process learns it from the log.
    await store.append(
      policyStream(),
      [
        {
          id: randomUUID(),
          type: 'PolicyAdopted',
          data: { policy: adopted, effectiveFrom: adopted.effectiveFrom, adoptedAt: '2026-12-01T00:00:00.000Z' },
          metadata: { correlationId: 'c', causationId: 'c', actor: 'spec', occurredAt: '2026-12-01T00:00:00.000Z' },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    const after = await rebuilt(newBook);
    expect(after).not.toEqual(before); // the policy moves windows: a rebuild is needed

    // While the new generation is being built beside it, both keep serving the old one.
    await eventually(
      'the new generation under way',
      async () => ((await checkpoint(`holdings@${newGeneration}`)) > 0 ? true : undefined),
      60_000,
    );
    // Read before the record: if the record still names the old generation after them, they were read before the swap.
    const servingNow = both.map((p) => servedBy(p));
    const rowsNow = await served();
    if ((await record()) === oldGeneration) {
      expect(servingNow).toEqual([[oldGeneration], [oldGeneration]]);
      expect(rowsNow).toEqual(before);
    }

    await eventually('the swap', async () => ((await record()) === newGeneration ? true : undefined), 120_000);
    // From the swap's commit on, every reader of the views reads the new rows.
    expect(await served()).toEqual(after);
    await eventually('both to serve the new generation', () =>
      both.every((p) => servedBy(p).join(',') === `${oldGeneration},${newGeneration}`) ? true : undefined,
    );
    const builds = both.map(
      (p) =>
        p
          .output()
          .split('\n')
          .filter((line) => line.startsWith(`holdings@${newGeneration}: building from zero`)).length,
    );
    expect(builds.reduce((sum, n) => sum + n, 0)).toBe(1);
    await eventually('the old generation dropped', async () => {
      const tables = await readStore.query<{ t: string | null }>('SELECT to_regclass(?) AS t', [`rm_holdings_${oldGeneration}`]);
      return tables[0]?.t === null ? true : undefined;
    });
    expect(await readStore.checkpoint(`holdings@${oldGeneration}`)).toBeUndefined();
    expect(await served()).toEqual(after);
  }, 240_000);
});
