import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Harness, startApp } from '../support/harness';

type Written = { position: number };

/**
 * #17.4: more than one api on one embedded data folder. One runs the projections (as the worker process does);
 * the other (PROJECTIONS=follow) serves the read models from the shared read database, off its own event loop's
 * work. Both append to the one event file.
 */
describe('#17.4 an api following the read models another process runs', () => {
  let runner: Harness;
  let follower: Harness;
  let runnerClosed = false;
  const dataDir = mkdtempSync(join(tmpdir(), 'recert-follower-'));
  const AA = 'azure-administrator-associate';

  beforeAll(async () => {
    runner = await startApp({ clockStart: '2026-01-01T00:00:00Z', dataDir });
    follower = await startApp({
      clockStart: '2026-01-01T00:00:00Z',
      dataDir,
      env: { PROJECTIONS: 'follow', CONSISTENCY_TIMEOUT_MS: '1500' },
    });
  }, 120_000);
  afterAll(async () => {
    await follower?.close();
    if (!runnerClosed) await runner?.close();
    rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  const createProfile = async (h: Harness, profileId: string): Promise<Written> => {
    const res = await h.http
      .post('/certification-profiles')
      .set('Authorization', `Bearer ${h.token(['exam-system'])}`)
      .send({
        profileId,
        accountId: `acc-${profileId}`,
        accountType: 'personal',
        displayName: profileId,
        email: `${profileId}@example.com`,
      });
    expect(res.status).toBe(201);
    return res.body as Written;
  };
  const dashboard = (h: Harness, profileId: string, position: number) =>
    h.http
      .get(`/certification-profiles/${profileId}/dashboard?consistentWith=${position}`)
      .set('Authorization', `Bearer ${h.token(['support'])}`);

  it('#17.4 read-your-writes through the follower for writes made through either process', async () => {
    const created = await createProfile(follower, 'follow-1');
    const earned = await runner.http
      .post('/certification-profiles/follow-1/certifications')
      .set('Authorization', `Bearer ${runner.token(['exam-system'])}`)
      .send({ certificationCode: AA });
    expect(earned.status).toBe(201);
    const position = Math.max(created.position, (earned.body as Written).position);

    const res = await dashboard(follower, 'follow-1', position);
    expect(res.status).toBe(200);
    expect((res.body as { certifications: { code: string; status: string }[] }).certifications).toEqual([
      expect.objectContaining({ code: AA, status: 'active' }),
    ]);
  });

  it('#17.4 both processes append at once: distinct positions, and the follower serves every profile', async () => {
    const ids = Array.from({ length: 12 }, (_, i) => `both-${i}`);
    const written = await Promise.all(ids.map((id, i) => createProfile(i % 2 === 0 ? runner : follower, id)));
    const positions = written.map((w) => w.position);
    expect(new Set(positions).size).toBe(ids.length);
    const head = Math.max(...positions);
    for (const id of ids) {
      const res = await dashboard(follower, id, head);
      expect(res.status).toBe(200);
      expect((res.body as { profile: { profileId: string } }).profile.profileId).toBe(id);
    }
  });

  it('#17.4 the follower projects nothing itself: with the runner gone, a write through it is not served (503 after the wait)', async () => {
    await runner.close();
    runnerClosed = true;
    const created = await createProfile(follower, 'alone-1');
    const res = await dashboard(follower, 'alone-1', created.position);
    expect(res.status).toBe(503);
  });
});
