import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { signDevelopmentToken } from '@recert/kernel';
import { createTestDatabase, describeWithPostgres } from '../support/postgres';
import { RecertProcess, startRecertProcess, waitFor } from '../support/processes';

const SECRET = 'shared-read-side-secret-shared-read-side';

interface Answer {
  status: number;
  body: { position?: number; profile?: { displayName: string | null }; certifications?: { code: string }[] };
}

const bearer = (roles: string[]): string => `Bearer ${signDevelopmentToken({ sub: `${roles.join('+')}-topology`, roles }, SECRET)}`;

async function call(base: string, method: string, path: string, roles: string[], body?: unknown): Promise<Answer> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: bearer(roles), 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as Answer['body'] };
}

const readyStatus = async (p: RecertProcess): Promise<number> => (await fetch(`${p.url}/health/ready`)).status;

/** Every file under `dir`, relative paths. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, `${prefix}${name}/`) : [`${prefix}${name}`];
  });
}

/**
 * #23.3 on PostgreSQL (event store, shared state and READ_STORE_URL in one database of its own, dropped after): two
 * api replicas that follow (PROJECTIONS=follow: nothing on disk, project nothing) and two workers that may project
 * (one projector per model, by lease). Writes through one replica are read on the other with `?consistentWith=`;
 * the projecting worker is SIGKILLed and the other takes over while reads go on. Only conditions are asserted; each
 * is waited for with a generous deadline.
 */
describeWithPostgres('Shared read side topology (R141-R143)', () => {
  let database: { url: string; drop: () => Promise<void> };
  let common: Record<string, string> = {};
  const dirs: Record<'a' | 'b' | 'w' | 'v', string> = { a: '', b: '', w: '', v: '' };
  let a: RecertProcess;
  let b: RecertProcess;
  let w: RecertProcess;
  let v: RecertProcess;
  let killed: RecertProcess | undefined;
  // Stopping a killed process is a no-op, so every one is stopped at the end.
  const processes = (): RecertProcess[] => [a, b, w, v].filter(Boolean);
  const tag = randomBytes(3).toString('hex');

  /** Lease owners of the read models in the shared read store (`host:pid:random`), by model. */
  const leaseOwners = async (): Promise<Map<string, number>> => {
    const client = new Client({ connectionString: database.url });
    await client.connect();
    try {
      const { rows } = await client.query<{ name: string; owner: string; live: boolean }>(
        `SELECT name, owner, expires_at > (extract(epoch FROM clock_timestamp()) * 1000)::bigint AS live FROM recert_read.projector_leases`,
      );
      return new Map(rows.filter((row) => row.live).map((row) => [row.name, Number(row.owner.split(':')[1])]));
    } finally {
      await client.end();
    }
  };

  const createProfile = (base: string, profileId: string): Promise<Answer> =>
    call(base, 'POST', '/certification-profiles', ['exam-system'], {
      profileId,
      accountId: `acc-${profileId}`,
      accountType: 'personal',
      displayName: `Holder ${profileId}`,
      email: `${profileId}@example.org`,
    });

  const dashboard = (base: string, profileId: string, position: number): Promise<Answer> =>
    call(base, 'GET', `/certification-profiles/${profileId}/dashboard?consistentWith=${position}`, ['support']);

  /** The dashboard on `base`, waiting for `position` (retried: a 503 while a projector takes over is allowed). */
  const readYourWrite = (base: string, profileId: string, position: number): Promise<Answer> =>
    waitFor(
      `${profileId} on ${base} at ${position}`,
      async () => {
        const answer = await dashboard(base, profileId, position);
        if (answer.status === 503) return undefined;
        return answer;
      },
      120_000,
      250,
    );

  beforeAll(async () => {
    database = await createTestDatabase('recert_read_topology');
    for (const key of Object.keys(dirs) as (keyof typeof dirs)[]) dirs[key] = mkdtempSync(join(tmpdir(), `recert-shared-read-${key}-`));
    common = {
      EVENTSTORE_CONNECTION_STRING: database.url,
      // The read models in the same database, schema recert_read (dropped with the database).
      READ_STORE_URL: database.url,
      AUTH_JWT_SECRET: SECRET,
      SCHEDULER_INTERVAL_MS: '0',
      DISPATCH_INTERVAL_MS: '0',
      PROJECTOR_LEASE_MS: '3000',
      CONSISTENCY_TIMEOUT_MS: '10000',
    };
    // The workers first, so the models exist when the replicas look; each of the four may start in any order though.
    [w, v] = await Promise.all([
      startRecertProcess('worker W', 'worker', { ...common, DATA_DIR: dirs.w }, 240_000),
      startRecertProcess('worker V', 'worker', { ...common, DATA_DIR: dirs.v }, 240_000),
    ]);
    [a, b] = await Promise.all([
      startRecertProcess('api A', 'api', { ...common, DATA_DIR: dirs.a, PROJECTIONS: 'follow', READY_MAX_LAG_EVENTS: '5' }, 240_000),
      startRecertProcess('api B', 'api', { ...common, DATA_DIR: dirs.b, PROJECTIONS: 'follow', READY_MAX_LAG_EVENTS: '5' }, 240_000),
    ]);
  }, 600_000);

  afterAll(async () => {
    await Promise.all(processes().map((p) => p.stop()));
    await database?.drop();
    for (const dir of Object.values(dirs)) if (dir) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('R141: the follow replicas are ready on the shared read store, and no process of the four keeps a read.db', async () => {
    await waitFor('both replicas ready', async () => (await readyStatus(a)) === 200 && (await readyStatus(b)) === 200, 120_000, 250);
    for (const dir of Object.values(dirs)) expect(filesUnder(dir).filter((file) => /(^|\/)read\.db/.test(file))).toEqual([]);
  }, 180_000);

  it('R142: a profile created on api A is read on api B with ?consistentWith= (the checkpoints are the shared ones)', async () => {
    const created = await createProfile(a.url, `shared-1-${tag}`);
    expect(created.status).toBe(201);
    // One request, no retry: B itself waits until the shared checkpoint reaches A's write.
    const onB = await dashboard(b.url, `shared-1-${tag}`, created.body.position ?? 0);
    expect(onB.status).toBe(200);
    expect(onB.body.profile?.displayName).toBe(`Holder shared-1-${tag}`);
    const earned = await call(b.url, 'POST', `/certification-profiles/shared-1-${tag}/certifications`, ['exam-system'], {
      certificationCode: 'azure-developer-associate',
    });
    expect(earned.status).toBe(201);
    const onA = await dashboard(a.url, `shared-1-${tag}`, earned.body.position ?? 0);
    expect(onA.status).toBe(200);
    expect((onA.body.certifications ?? []).map((c) => c.code)).toContain('azure-developer-associate');
  }, 180_000);

  it('R143: the worker holding the leases is SIGKILLed; the other takes every model over and reads on both replicas go on', async () => {
    const workers = new Map([w, v].map((p) => [p.child.pid ?? -1, p]));
    // One projector per model: every live lease is held by one of the two workers, never by a follow replica.
    const owners = await waitFor(
      'every model leased by a worker',
      async () => {
        const leases = await leaseOwners();
        return leases.size > 0 && [...leases.values()].every((pid) => workers.has(pid)) ? leases : undefined;
      },
      120_000,
      250,
    );
    const holderPid = [...owners.values()][0] ?? -1;
    const holder = workers.get(holderPid) as RecertProcess;
    const survivor = holder === w ? v : w;
    await holder.kill();
    killed = holder;

    const created = await createProfile(b.url, `shared-2-${tag}`);
    expect(created.status).toBe(201);
    const onA = await readYourWrite(a.url, `shared-2-${tag}`, created.body.position ?? 0);
    expect(onA.status).toBe(200);
    expect(onA.body.profile?.displayName).toBe(`Holder shared-2-${tag}`);
    // Every model the dead worker held is now the survivor's.
    await waitFor(
      'the survivor to hold every model',
      async () => {
        const leases = await leaseOwners();
        return [...owners.keys()].every((name) => leases.get(name) === survivor.child.pid);
      },
      120_000,
      250,
    );
    // The first profile still reads on B: nothing was lost in the take-over.
    expect((await readYourWrite(b.url, `shared-1-${tag}`, created.body.position ?? 0)).body.profile?.displayName).toBe(
      `Holder shared-1-${tag}`,
    );
  }, 240_000);

  it('R141: a follow replica is not ready while the models are more than READY_MAX_LAG_EVENTS behind (no projector), and ready again once one projects', async () => {
    const survivor = [w, v].find((p) => p !== killed) as RecertProcess;
    await survivor.kill();
    const dead = survivor;
    for (let i = 0; i < 8; i += 1) expect((await createProfile(a.url, `shared-lag-${i}-${tag}`)).status).toBe(201);
    await waitFor('api B not ready while 8 events behind', async () => (await readyStatus(b)) === 503, 120_000, 250);
    // A new projecting process takes the models over (their leases' owner is gone) and brings them to the head.
    const restarted = await startRecertProcess('worker V2', 'worker', { ...common, DATA_DIR: dead === w ? dirs.w : dirs.v }, 240_000);
    if (dead === w) w = restarted;
    else v = restarted;
    await waitFor('both replicas ready again', async () => (await readyStatus(a)) === 200 && (await readyStatus(b)) === 200, 120_000, 250);
  }, 360_000);
});
