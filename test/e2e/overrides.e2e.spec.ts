import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { Catalog, Certification, holdingDecider, overrideDecider } from '@recert/domain';
import { CATALOG, holdingDeps, PolicyRegistry, StreamCommands } from '@recert/renewals';
import { expectNothingStored, expectProblem, Harness, seedProfile, startApp } from '../support/harness';

type Cert = { code: string; status: string; expiresAt: string | null; canAttemptNow: boolean; override: Record<string, unknown> | null };
type Written = { position: number; events: { type: string; data: Record<string, unknown> }[] };
type Override = Written & { id: string; status: string; requestedBy: string; decidedBy: string | null; report: Report | null };
type Report = { total: number; counts: Record<string, number>; refusals: Record<string, number>; rows: Record<string, unknown[]> };
// A loaded machine: no test here may fail on time (hooks and tests wait for conditions, not moments).
jest.setTimeout(90_000);

const AA = 'azure-administrator-associate';

/** #14.1/#14.2 through HTTP: overrides under four eyes (R22-R29). */
describe('overrides under four eyes over HTTP', () => {
  let h: Harness;
  const admin = (sub: string): string => `Bearer ${h.token(['admin'], { sub })}`;
  const ask = (body: object, sub = 'admin-ada') => h.http.post('/admin/override-requests').set('Authorization', admin(sub)).send(body);
  const decide = (id: string, verb: 'approve' | 'reject', sub = 'admin-bob', body: object = {}) =>
    h.http.post(`/admin/override-requests/${id}/${verb}`).set('Authorization', admin(sub)).send(body);
  const extend = (profileId: string, by = 'P3M') => ({
    kind: 'extend-expiry',
    target: { profileId, certificationCode: AA },
    params: { by },
    reason: 'Exam platform outage, incident 881',
  });
  const cert = async (profileId: string, written?: { position: number }): Promise<Cert> => {
    const res = await h.http
      .get(`/certification-profiles/${profileId}/dashboard${written ? `?consistentWith=${written.position}` : ''}`)
      .set('Authorization', `Bearer ${h.token(['support'])}`);
    expect(res.status).toBe(200);
    return (res.body as { certifications: Cert[] }).certifications.find((c) => c.code === AA) as Cert;
  };
  const scheduler = async () => {
    const res = await h.http.post('/admin/scheduler/run').set('Authorization', `Bearer ${h.token(['scheduler'])}`);
    expect(res.status).toBe(200);
    return res.body as { overridesExpired: number; overridesCompleted: number };
  };

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z' });
    // Earned 2026-01-01: expire 2027-01-01 (validity P1Y, so R23 allows at most P1Y).
    for (const id of ['ov-1', 'ov-2', 'ov-3', 'ov-4', 'ov-5', 'bk-1', 'bk-2', 'bk-3', 'bk-4']) {
      await seedProfile(h, id, { linked: true, earn: [{ code: AA }] });
    }
    h.clock.set(new Date('2026-01-10T00:00:00Z'));
    await seedProfile(h, 'bk-out', { linked: true, earn: [{ code: AA }] }); // expires 2027-01-10: outside the filter
    h.clock.set(new Date('2026-01-20T00:00:00Z'));
    for (const id of ['rs-1', 'rs-2', 'rs-3']) await seedProfile(h, id, { linked: true, earn: [{ code: AA }] }); // expire 2027-01-20
    h.clock.set(new Date('2026-02-01T00:00:00Z'));
  }, 90_000);
  afterAll(async () => h.close());

  it('R22/R25: bad input is a 4xx problem and stores nothing; only admins may ask', async () => {
    await expectNothingStored(h, async () => {
      expectProblem(await ask({ ...extend('ov-1'), reason: undefined }), 400, 'VALIDATION_FAILED');
      expectProblem(await ask({ ...extend('ov-1'), kind: 'teleport' }), 400, 'VALIDATION_FAILED');
      expectProblem(await ask({ ...extend('ov-1'), params: { by: 'three months' } }), 400, 'VALIDATION_FAILED');
      expectProblem(
        await ask({ ...extend('ov-1'), target: { profileId: 'ov-1', certificationCode: AA, extra: 1 } }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(await ask({ ...extend('ov-1'), kind: 'bulk-extend-expiry' }), 400, 'VALIDATION_FAILED');
      expectProblem(await ask({ ...extend('ov-1'), target: { profileId: 'ov-1' } }), 400, 'VALIDATION_FAILED');
      expectProblem(await ask({ ...extend('ov-1'), target: {} }), 400, 'VALIDATION_FAILED');
      expectProblem(await ask({ ...extend('ov-1'), target: 'ov-1' }), 400, 'VALIDATION_FAILED');
      expectProblem(
        await ask({
          ...extend('ov-1'),
          kind: 'bulk-extend-expiry',
          target: { filter: { certificationCode: AA, expiresFrom: 'x', expiresTo: 'y' } },
        }),
        400,
        'VALIDATION_FAILED',
      );
      expectProblem(await ask({ ...extend('ov-1'), kind: 'grant-attempts', params: { attempts: 9 } }), 400, 'VALIDATION_FAILED');
      expectProblem(await ask(extend('ov-1', 'P2Y')), 422, 'OVERRIDE_EXCEEDS_POLICY');
      expectProblem(await ask(extend('nobody')), 404, 'PROFILE_NOT_FOUND');
      expectProblem(
        await ask({ ...extend('ov-1'), target: { profileId: 'ov-1', certificationCode: 'no-such-cert' } }),
        404,
        'UNKNOWN_CERTIFICATION',
      );
      // R27: the effect could not apply now (the window is not closed): refused at the request, nothing stored.
      expectProblem(await ask({ ...extend('ov-1'), kind: 'reopen-window' }), 409, 'OVERRIDE_NOT_APPLICABLE');
      expectProblem(await decide('00000000-0000-4000-8000-000000000000', 'approve'), 404, 'OVERRIDE_NOT_FOUND');
      expectProblem(await decide('not-an-id', 'approve'), 400, 'VALIDATION_FAILED');
      const support = await h.http
        .post('/admin/override-requests')
        .set('Authorization', `Bearer ${h.token(['support'])}`)
        .send(extend('ov-1'));
      expect(support.status).toBe(403);
    });
  });

  it('#14.1: OpenAPI documents the override routes and their codes', async () => {
    const doc = (await h.http.get('/docs/openapi.json')).body as {
      paths: Record<string, Record<string, { responses: Record<string, unknown> }>>;
      components: { schemas: { Problem: { properties: { code: { enum: string[] } } } } };
    };
    for (const [path, method] of [
      ['/admin/override-requests', 'post'],
      ['/admin/override-requests', 'get'],
      ['/admin/override-requests/{id}', 'get'],
      ['/admin/override-requests/{id}/approve', 'post'],
      ['/admin/override-requests/{id}/reject', 'post'],
    ] as const) {
      expect({ path, method, documented: doc.paths[path]?.[method] !== undefined }).toEqual({ path, method, documented: true });
    }
    expect(Object.keys(doc.paths['/admin/override-requests/{id}/approve']?.['post']?.responses ?? {})).toEqual(
      expect.arrayContaining(['200', '403', '404', '409']),
    );
    expect(doc.components.schemas.Problem.properties.code.enum).toEqual(
      expect.arrayContaining(['OVERRIDE_NOT_FOUND', 'OVERRIDE_NOT_APPLICABLE', 'OVERRIDE_EXCEEDS_POLICY', 'OVERRIDE_REQUEST_EXPIRED']),
    );
  });

  it('R22: the requester cannot approve nor reject (403 FORBIDDEN, nothing stored); another admin approves (R26/R27)', async () => {
    const requested = await ask(extend('ov-1'));
    expect(requested.status).toBe(201);
    const request = requested.body as Override;
    expect(request).toMatchObject({ status: 'pending', requestedBy: 'admin-ada', expiresAt: '2026-02-08T00:00:00.000Z' });
    expect(request.events).toEqual([expect.objectContaining({ type: 'OverrideRequested' })]);
    // Nothing moved yet.
    expect(await cert('ov-1', request)).toMatchObject({ expiresAt: '2027-01-01T00:00:00.000Z', override: null });

    await expectNothingStored(h, async () => {
      expectProblem(await decide(request.id, 'approve', 'admin-ada'), 403, 'FORBIDDEN');
      expectProblem(await decide(request.id, 'reject', 'admin-ada'), 403, 'FORBIDDEN');
    });

    const approved = await decide(request.id, 'approve', 'admin-bob');
    expect(approved.status).toBe(200);
    const body = approved.body as Override;
    expect(body).toMatchObject({ status: 'completed', decidedBy: 'admin-bob', report: { total: 1, counts: { extended: 1 } } });
    expect(body.events.map((e) => e.type)).toEqual(['OverrideApproved', 'HoldingExpiryExtended', 'OverrideCompleted']);

    // The dashboard shows the new expiry and the override as such, with both admins and the reason.
    expect(await cert('ov-1', body)).toMatchObject({
      expiresAt: '2027-04-01T00:00:00.000Z',
      override: {
        kind: 'extend-expiry',
        requestedBy: 'admin-ada',
        approvedBy: 'admin-bob',
        reason: 'Exam platform outage, incident 881',
        from: '2027-01-01T00:00:00.000Z',
        to: '2027-04-01T00:00:00.000Z',
      },
    });
    // The history names both admins and the reason.
    const history = await h.http.get('/certification-profiles/ov-1/history').set('Authorization', `Bearer ${h.token(['support'])}`);
    const entry = (history.body as { events: { type: string; data: Record<string, unknown> }[] }).events.find(
      (e) => e.type === 'HoldingExpiryExtended',
    );
    expect(entry?.data).toMatchObject({
      requestedBy: 'admin-ada',
      approvedBy: 'admin-bob',
      reason: 'Exam platform outage, incident 881',
      by: 'P3M',
    });

    // Approving again by the same admin changes nothing; a rejection now is refused.
    await expectNothingStored(h, async () => {
      expect((await decide(request.id, 'approve', 'admin-bob')).status).toBe(200);
      expectProblem(await decide(request.id, 'reject', 'admin-cy'), 409, 'OVERRIDE_ALREADY_DECIDED');
    });
    const got = await h.http.get(`/admin/override-requests/${request.id}`).set('Authorization', admin('admin-cy'));
    expect(got.body).toMatchObject({ id: request.id, status: 'completed', report: { counts: { extended: 1 } } });
  });

  it('#14.1: a request repeated with its Idempotency-Key answers the first request, storing nothing more', async () => {
    const send = () =>
      h.http
        .post('/admin/override-requests')
        .set('Authorization', admin('admin-ada'))
        .set('Idempotency-Key', 'ov-5-revoke')
        .send({
          kind: 'revoke',
          target: { profileId: 'ov-5', certificationCode: AA },
          reason: 'Asked twice by a flaky client',
        });
    const first = await send();
    expect(first.status).toBe(201);
    let second: Awaited<ReturnType<typeof send>> | undefined;
    await expectNothingStored(h, async () => {
      second = await send();
    });
    expect(second?.status).toBe(201);
    expect((second?.body as Override).id).toBe((first.body as Override).id);
    const rejected = await decide((first.body as Override).id, 'reject', 'admin-bob', { reason: 'No fraud after all' });
    expect(rejected.status).toBe(200);
  });

  it('R22: a different admin rejects; the request then cannot be approved, and nothing changed on the holding', async () => {
    const request = (await ask(extend('ov-2'))).body as Override;
    const rejected = await decide(request.id, 'reject', 'admin-bob', { reason: 'Not affected by the outage' });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ status: 'rejected', decidedBy: 'admin-bob' });
    await expectNothingStored(h, async () => {
      expectProblem(await decide(request.id, 'approve', 'admin-cy'), 409, 'OVERRIDE_ALREADY_DECIDED');
    });
    expect(await cert('ov-2', rejected.body as Written)).toMatchObject({ expiresAt: '2027-01-01T00:00:00.000Z', override: null });
    const list = await h.http.get('/admin/override-requests?status=rejected').set('Authorization', admin('admin-cy'));
    const listed = (list.body as { overrideRequests: { id: string; status: string }[] }).overrideRequests;
    expect(listed.map((o) => o.id)).toContain(request.id);
    expect(listed.every((o) => o.status === 'rejected')).toBe(true);
    expectProblem(
      await h.http.get('/admin/override-requests?status=maybe').set('Authorization', admin('admin-cy')),
      400,
      'VALIDATION_FAILED',
    );
  });

  it('R27: a revoke override is the R15 revocation naming both admins; the dashboard says revoked by override', async () => {
    const request = (await ask({ kind: 'revoke', target: { profileId: 'ov-3', certificationCode: AA }, reason: 'Exam fraud, case 17' }))
      .body as Override;
    const approved = (await decide(request.id, 'approve')).body as Override;
    const revoked = approved.events.find((e) => e.type === 'CertificationRevoked');
    expect(revoked?.data).toMatchObject({ reason: 'Exam fraud, case 17', override: { requestedBy: 'admin-ada', approvedBy: 'admin-bob' } });
    expect(await cert('ov-3', approved)).toMatchObject({ status: 'revoked', override: { kind: 'revoke', approvedBy: 'admin-bob' } });
  });

  it('R26: an approval whose effect a crash left undone is completed by the scheduler, once', async () => {
    const request = (await ask(extend('ov-4', 'P1M'))).body as Override;
    // The approval recorded, then the process died before the effect: only OverrideApproved is in the log.
    await h.app.get(StreamCommands).handle(
      overrideDecider,
      request.id,
      { type: 'ApproveOverride', data: { actor: 'admin-bob' } },
      {
        commandId: 'torn-approval',
        correlationId: 'torn',
        causationId: 'torn',
        actor: 'admin-bob',
      },
    );
    expect((await scheduler()).overridesCompleted).toBe(1);
    const got = (await h.http.get(`/admin/override-requests/${request.id}`).set('Authorization', admin('admin-cy'))).body as Override;
    expect(got).toMatchObject({ status: 'completed', report: { counts: { extended: 1 } } });
    const position = await h.store.headPosition();
    expect(await cert('ov-4', { position })).toMatchObject({
      expiresAt: '2027-02-01T00:00:00.000Z',
      override: { approvedBy: 'admin-bob' },
    });
    await expectNothingStored(h, async () => expect((await scheduler()).overridesCompleted).toBe(0));
  });

  it('R28/R29: a bulk extension dry run answers the exact report and stores nothing; the approved run reports the same', async () => {
    // One holding in range is revoked: reported refused with its code, the others extended.
    await h.http
      .post(`/certification-profiles/bk-3/certifications/${AA}/revocation`)
      .set('Authorization', admin('admin-ada'))
      .send({ reason: 'exam fraud' })
      .expect(200);
    const bulk = {
      kind: 'bulk-extend-expiry',
      target: { filter: { certificationCode: AA, expiresFrom: '2026-12-31', expiresTo: '2027-01-05T00:00:00Z' } },
      params: { by: 'P2M' },
      reason: 'Exam platform outage, January',
    };
    let dry: Report | undefined;
    await expectNothingStored(h, async () => {
      const res = await ask({ ...bulk, dryRun: true });
      expect(res.status).toBe(200);
      dry = (res.body as { dryRun: boolean; report: Report }).report;
    });
    // In range: ov-2, ov-5, bk-1, bk-2, bk-4 extended; bk-3 revoked, ov-3 revoked (refused); ov-1 and ov-4 moved out, bk-out never in.
    expect(dry).toMatchObject({ total: 7, counts: { extended: 5, refused: 2 }, refusals: { HOLDING_REVOKED: 2 } });
    expect(dry?.rows['extended']).toEqual(
      expect.arrayContaining([
        { profileId: 'bk-1', certificationCode: AA, outcome: 'extended', from: '2027-01-01T00:00:00.000Z', to: '2027-03-01T00:00:00.000Z' },
      ]),
    );
    expect(dry?.rows['refused']).toEqual(expect.arrayContaining([expect.objectContaining({ profileId: 'bk-3', code: 'HOLDING_REVOKED' })]));

    const request = (await ask(bulk)).body as Override;
    const approved = (await decide(request.id, 'approve')).body as Override;
    expect(approved.report).toEqual(dry);
    // A bulk approval answers with its report, not with thousands of events; the history of each holding has its own.
    expect(approved.events.map((e) => e.type)).toEqual(['OverrideApproved', 'OverrideCompleted']);
    const history = await h.http.get('/certification-profiles/bk-4/history').set('Authorization', `Bearer ${h.token(['support'])}`);
    expect(
      (history.body as { events: { type: string; data: Record<string, unknown> }[] }).events.find((e) => e.type === 'HoldingExpiryExtended')
        ?.data,
    ).toMatchObject({
      overrideId: request.id,
      requestedBy: 'admin-ada',
      approvedBy: 'admin-bob',
      reason: 'Exam platform outage, January',
    });
    const got = (await h.http.get(`/admin/override-requests/${request.id}`).set('Authorization', admin('admin-cy'))).body as Override;
    expect(got.report).toEqual(dry);
    expect(await cert('bk-2', approved)).toMatchObject({ expiresAt: '2027-03-01T00:00:00.000Z', override: { kind: 'extend-expiry' } });
    expect(await cert('bk-out', approved)).toMatchObject({ expiresAt: '2027-01-10T00:00:00.000Z', override: null });
  });

  it("R26/R28: a bulk run torn mid-way resumes: no holding is extended twice and the report is the dry run's", async () => {
    const bulk = {
      kind: 'bulk-extend-expiry',
      target: { filter: { certificationCode: AA, expiresFrom: '2027-01-19', expiresTo: '2027-01-21' } },
      params: { by: 'P1M' },
      reason: 'Exam platform outage, late January',
    };
    const dry = ((await ask({ ...bulk, dryRun: true })).body as { report: Report }).report;
    expect(dry).toMatchObject({ total: 3, counts: { extended: 3 } });
    const request = (await ask(bulk)).body as Override;
    // The process died after the approval and the first holding's extension (which moved it out of the range).
    const commands = h.app.get(StreamCommands);
    const torn = { commandId: 'torn-bulk', correlationId: 'torn', causationId: 'torn', actor: 'admin-bob' };
    await commands.handle(overrideDecider, request.id, { type: 'ApproveOverride', data: { actor: 'admin-bob' } }, torn);
    const first = await commands.handle(
      holdingDecider,
      { profileId: 'rs-1', certificationCode: AA },
      {
        type: 'ApplyOverride',
        data: {
          overrideId: request.id,
          requestedBy: 'admin-ada',
          approvedBy: 'admin-bob',
          kind: 'extend-expiry',
          by: 'P1M',
          reason: 'Exam platform outage, late January',
        },
      },
      torn,
      holdingDeps(h.app.get<Catalog>(CATALOG).get(AA) as Certification, h.app.get(PolicyRegistry)),
    );
    expect(first.events.map((e) => e.type)).toEqual(['HoldingExpiryExtended']);
    expect((await scheduler()).overridesCompleted).toBe(1);
    const got = (await h.http.get(`/admin/override-requests/${request.id}`).set('Authorization', admin('admin-cy'))).body as Override;
    expect(got).toMatchObject({ status: 'completed' });
    expect(got.report).toEqual(dry);
    const history = await h.http.get('/certification-profiles/rs-1/history').set('Authorization', `Bearer ${h.token(['support'])}`);
    const extensions = (history.body as { events: { type: string }[] }).events.filter((e) => e.type === 'HoldingExpiryExtended');
    expect(extensions).toHaveLength(1);
  });

  it('R24: a request left undecided 7 days of domain time is expired by the scheduler; approving it then is refused', async () => {
    const request = (await ask(extend('ov-5', 'P1M'))).body as Override;
    h.clock.set(new Date('2026-02-08T00:00:00Z'));
    expect((await scheduler()).overridesExpired).toBeGreaterThanOrEqual(1);
    const got = (await h.http.get(`/admin/override-requests/${request.id}`).set('Authorization', admin('admin-cy'))).body as Override;
    expect(got.status).toBe('expired');
    await expectNothingStored(h, async () => {
      expectProblem(await decide(request.id, 'approve'), 409, 'OVERRIDE_REQUEST_EXPIRED');
      expect((await scheduler()).overridesExpired).toBe(0);
    });
    const list = await h.http.get('/admin/override-requests?status=expired').set('Authorization', admin('admin-cy'));
    expect((list.body as { overrideRequests: { id: string }[] }).overrideRequests.map((o) => o.id)).toContain(request.id);
  });

  it('R27: reopen-window gives an expired holding a new expiry and an open window; a renewal is then accepted', async () => {
    // bk-out expired 2027-01-10 (its expiry recorded by the scheduler).
    h.clock.set(new Date('2027-02-01T00:00:00Z'));
    await scheduler();
    expect(await cert('bk-out', { position: await h.store.headPosition() })).toMatchObject({ status: 'expired' });
    const reopen = {
      kind: 'reopen-window',
      target: { profileId: 'bk-out', certificationCode: AA },
      params: { by: 'P30D' },
      reason: 'Outage',
    };
    const request = (await ask(reopen)).body as Override;
    const approved = (await decide(request.id, 'approve')).body as Override;
    expect(approved.events.map((e) => e.type)).toEqual(['OverrideApproved', 'RenewalWindowReopened', 'OverrideCompleted']);
    expect(await cert('bk-out', approved)).toMatchObject({
      status: 'renewal-open',
      expiresAt: '2027-03-03T00:00:00.000Z',
      override: { kind: 'reopen-window', from: '2027-01-10T00:00:00.000Z', to: '2027-03-03T00:00:00.000Z' },
    });
    const attempt = await h.http
      .post(`/certification-profiles/bk-out/certifications/${AA}/renewal-attempts`)
      .set('Authorization', `Bearer ${h.token(['assessment-system'])}`)
      .send({ passed: true, language: 'en' });
    expect(attempt.status).toBe(201);
  });

  it('R27: grant-attempts lets the next attempt skip the retake cooldown (R8); the dashboard shows it', async () => {
    // bk-1's window (expiry 2027-03-01 since the bulk extension) is open; two failed attempts, then the cooldown.
    const attempt = () =>
      h.http
        .post(`/certification-profiles/bk-1/certifications/${AA}/renewal-attempts`)
        .set('Authorization', `Bearer ${h.token(['assessment-system'])}`)
        .send({ passed: false, score: 300, language: 'en' });
    expect((await attempt()).status).toBe(201);
    expect((await attempt()).status).toBe(201);
    expectProblem(await attempt(), 429, 'RETAKE_COOLDOWN');
    const grant = {
      kind: 'grant-attempts',
      target: { profileId: 'bk-1', certificationCode: AA },
      params: { attempts: 1 },
      reason: 'Outage',
    };
    const request = (await ask(grant)).body as Override;
    const approved = (await decide(request.id, 'approve')).body as Override;
    expect(approved.events.map((e) => e.type)).toEqual(['OverrideApproved', 'RenewalAttemptsGranted', 'OverrideCompleted']);
    expect(await cert('bk-1', approved)).toMatchObject({
      canAttemptNow: true,
      override: { kind: 'grant-attempts', approvedBy: 'admin-bob' },
    });
    expect((await attempt()).status).toBe(201);
    expectProblem(await attempt(), 429, 'RETAKE_COOLDOWN');
  });
});

/** R27/R34: a revoke override reuses R15's event, so subscribers hear it as `certification.revoked`, both admins named. */
describe('a revoke override reaches webhook subscribers', () => {
  let h: Harness;
  let receiver: Server;
  const received: { type: string; data: Record<string, unknown> }[] = [];

  beforeAll(async () => {
    receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(JSON.parse(body) as { type: string; data: Record<string, unknown> });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    h = await startApp({ clockStart: '2026-01-01T00:00:00Z', env: { WEBHOOK_ALLOWED_NETWORKS: '127.0.0.0/8' } });
    await seedProfile(h, 'wh-1', { linked: true, earn: [{ code: AA }] });
  }, 60_000);
  afterAll(async () => {
    await h.close();
    await new Promise<void>((resolve) => receiver.close(() => resolve()));
  }, 60_000);

  it('R27/R34: certification.revoked is delivered for an approved revoke override, with the override named', async () => {
    const admin = (sub: string): string => `Bearer ${h.token(['admin'], { sub })}`;
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hooks`;
    await h.http
      .post('/admin/webhooks')
      .set('Authorization', admin('admin-ada'))
      .send({ url, events: ['certification.revoked'] })
      .expect(201);
    const request = await h.http
      .post('/admin/override-requests')
      .set('Authorization', admin('admin-ada'))
      .send({ kind: 'revoke', target: { profileId: 'wh-1', certificationCode: AA }, reason: 'Exam fraud, case 18' });
    expect(request.status).toBe(201);
    const id = (request.body as { id: string }).id;
    expect((await h.http.post(`/admin/override-requests/${id}/approve`).set('Authorization', admin('admin-bob'))).status).toBe(200);
    for (let run = 0; run < 20 && received.length === 0; run += 1) {
      await h.http.post('/admin/scheduler/run').set('Authorization', admin('admin-cy')).expect(200);
    }
    expect(received).toEqual([
      expect.objectContaining({
        type: 'certification.revoked',
        data: expect.objectContaining({
          profileId: 'wh-1',
          reason: 'Exam fraud, case 18',
          override: { overrideId: id, requestedBy: 'admin-ada', approvedBy: 'admin-bob' },
        }),
      }),
    ]);
  });
});
