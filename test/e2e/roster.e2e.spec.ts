import Database from 'better-sqlite3';
import { join } from 'node:path';
import { asText, expectProblem, Harness, seedProfile, startApp } from '../support/harness';
import { PersonSearchIndex, READ_STORE, ReadStore } from '@recert/projections';

const AA = 'azure-administrator-associate';
type Roster = { total: number; items: { profileId: string; displayName: string | null; email: string | null; status: string }[] };

/** #27.2 find anyone: the roster searched by name, e-mail and profile id through keyed hashes that erasure removes. */
describe('the roster (R98, R99)', () => {
  let h: Harness;
  const admin = (sub = 'admin-ada') => `Bearer ${h.token(['admin'], { sub })}`;
  const roster = async (query: string): Promise<Roster> => {
    const res = await h.http.get(`/reports/roster?${query}&consistentWith=${await h.store.headPosition()}`).set('Authorization', admin());
    expect(res.status).toBe(200);
    return res.body as Roster;
  };

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
    await seedProfile(h, 'ros-1', { displayName: 'Ada Lovelace', earn: [{ code: AA }] });
    await seedProfile(h, 'ros-2', { displayName: 'Zoë Ångström', earn: [{ code: AA }] });
    await seedProfile(h, 'ros-3', { displayName: '山田 太郎', earn: [{ code: AA }] });
    await h.http
      .post(`/certification-profiles/ros-3/certifications/${AA}/revocation`)
      .set('Authorization', admin())
      .send({ reason: 'Exam fraud' })
      .expect((res) => expect(res.status).toBeLessThan(300));
  }, 60_000);
  afterAll(() => h.close(), 30_000);

  it('R98: found by a word of the name (case and accents aside), by the whole name, by e-mail and by profile id', async () => {
    expect((await roster('q=lovelace')).items.map((i) => i.profileId)).toEqual(['ros-1']);
    expect((await roster('q=ADA%20LOVELACE')).items.map((i) => i.profileId)).toEqual(['ros-1']);
    expect((await roster('q=zoe%20angstrom')).items.map((i) => i.profileId)).toEqual(['ros-2']);
    expect((await roster(`q=${encodeURIComponent('太郎')}`)).items.map((i) => i.profileId)).toEqual(['ros-3']);
    expect((await roster('q=ROS-2%40example.com')).items.map((i) => i.profileId)).toEqual(['ros-2']);
    expect((await roster('q=ros-1')).items[0]).toMatchObject({
      profileId: 'ros-1',
      displayName: 'Ada Lovelace',
      email: 'ros-1@example.com',
    });
    // Whole words only: a prefix finds nobody (a keyed hash has no prefix).
    expect((await roster('q=lovel')).total).toBe(0);
  });

  it('R98: every status filters, revoked included; sort and page are checked', async () => {
    expect((await roster('status=revoked')).items.map((i) => i.profileId)).toEqual(['ros-3']);
    expect((await roster('status=active')).total).toBe(2);
    expect((await roster('sort=profile&pageSize=1&page=2')).items.map((i) => i.profileId)).toEqual(['ros-2']);
    expectProblem(await h.http.get('/reports/roster?status=gone').set('Authorization', admin()), 400, 'VALIDATION_FAILED');
    expectProblem(await h.http.get('/reports/roster?sort=name').set('Authorization', admin()), 400, 'VALIDATION_FAILED');
    expectProblem(await h.http.get('/reports/roster?pageSize=1000').set('Authorization', admin()), 400, 'VALIDATION_FAILED');
    const holder = h.token(['candidate'], { sub: 'ros-1', profileId: 'ros-1' });
    expect((await h.http.get('/reports/roster').set('Authorization', `Bearer ${holder}`)).status).toBe(403);
  });

  it('R99: the CSV streams every holding with names, and the export is in the log with who took it', async () => {
    const res = await h.http.get('/reports/roster.csv').set('Authorization', admin('admin-exporter')).buffer(true).parse(asText);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    const lines = (res.body as string)
      .replace(/^\uFEFF/, '')
      .trim()
      .split('\r\n');
    expect(lines[0]).toBe('profileId,displayName,email,certificationCode,certification,status,earnedAt,expiresAt,suspendedUntil');
    expect(lines).toHaveLength(4);
    expect(lines.find((l) => l.startsWith('ros-3,'))).toMatch(
      /^ros-3,山田 太郎,ros-3@example.com,azure-administrator-associate,.*,revoked,/,
    );
    const exported = (await h.store.readAll({ filter: { eventTypes: ['RosterExported'] } })).at(-1);
    expect(exported?.data).toMatchObject({ exportedBy: 'admin-exporter', filters: {} });
  });

  it('R98: erasing a person removes their index rows; they are no longer found by name or e-mail', async () => {
    const index = h.app.get(PersonSearchIndex);
    expect((await roster('q=lovelace')).total).toBe(1);
    expect(await index.rowsOf('ros-1')).toBeGreaterThan(0);
    await h.http
      .post('/certification-profiles/ros-1/personal-data-erasure')
      .set('Authorization', admin())
      .send({ reason: 'GDPR art. 17 #1' })
      .expect(200);
    expect((await roster('q=lovelace')).total).toBe(0);
    expect((await roster('q=ros-1%40example.com')).total).toBe(0);
    expect(await index.rowsOf('ros-1')).toBe(0);
    // The read database holds no row for the person at all, and a rebuild from zero makes none (its key is gone).
    const file = new Database(join(h.dataDir, 'read.db'), { readonly: true });
    try {
      expect(file.prepare("SELECT count(*) AS n FROM rm_person_search WHERE profile_id = 'ros-1'").get()).toEqual({ n: 0 });
    } finally {
      file.close();
    }
    // A rebuild from zero (the index dropped, its checkpoint back to the start) opens no erased data: nothing comes back.
    const readStore = h.app.get<ReadStore>(READ_STORE);
    await readStore.run('DELETE FROM rm_person_search');
    await readStore.run("DELETE FROM projection_checkpoints WHERE name = 'person-search'");
    expect((await roster('q=lovelace')).total).toBe(0);
    expect(await index.rowsOf('ros-1')).toBe(0);
    expect((await roster('q=angstrom')).total).toBe(1);
    // Still on the roster by profile id, without a name.
    expect((await roster('q=ros-1')).items[0]).toMatchObject({ profileId: 'ros-1', displayName: null, email: null });
  });
});
