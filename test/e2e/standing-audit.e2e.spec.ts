import { verifyAuditLines } from '@recert/projections';
import { asText, auditExportLines, eventually, Harness, seedProfile, startApp } from '../support/harness';

// A loaded machine: no test here may fail on time (hooks and tests wait for conditions, not moments).
jest.setTimeout(60_000);

const AA = 'azure-administrator-associate';

type Written = { events: { id: string; type: string }[] };
type Line = {
  kind: string;
  event?: { id: string; type: string; stream: string; data: { reason?: string; until?: string | null }; metadata: { actor: string } };
};

/**
 * #13 Done when: the audit export shows every revocation, suspension and reinstatement with actor and reason. Each
 * accepted decision appears exactly once (matched by the event ids its command answered), refused ones never, the
 * chain verifies, and a personal-data erasure of the holder removes neither actor nor reason.
 */
describe('#13 Done when: standing decisions in the audit export (R18)', () => {
  let h: Harness;

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-02-01T00:00:00Z' });
    for (const id of ['au-1', 'au-2']) await seedProfile(h, id, { linked: true, displayName: `Holder ${id}`, earn: [{ code: AA }] });
  }, 60_000);
  afterAll(async () => h.close());

  it('#13/R18: every accepted revocation, suspension and reinstatement is exported once with actor and reason; refusals are not', async () => {
    const accepted: { id: string; type: string; stream: string; actor: string; reason: string; until?: string | null }[] = [];
    const decide = async (
      profileId: string,
      kind: 'revocation' | 'suspension' | 'reinstatement',
      actor: string,
      body: { reason: string; until?: string },
      expected: number,
    ): Promise<void> => {
      const res = await h.http
        .post(`/certification-profiles/${profileId}/certifications/${AA}/${kind}`)
        .set('Authorization', `Bearer ${h.token(['admin'], { sub: actor })}`)
        .send(body);
      expect({ kind, status: res.status }).toEqual({ kind, status: expected });
      if (res.status !== 200) return;
      for (const event of (res.body as Written).events)
        accepted.push({
          id: event.id,
          type: event.type,
          stream: `holding-${profileId}.${AA}`,
          actor,
          reason: body.reason,
          ...(kind === 'suspension' ? { until: body.until ? new Date(body.until).toISOString() : null } : {}),
        });
    };

    await decide('au-1', 'suspension', 'admin-ada', { reason: 'identity check pending', until: '2026-03-01T00:00:00Z' }, 200);
    await decide('au-1', 'suspension', 'admin-bob', { reason: 'twice' }, 409); // HOLDING_SUSPENDED
    await decide('au-1', 'reinstatement', 'admin-bob', { reason: 'identity confirmed' }, 200);
    await decide('au-1', 'reinstatement', 'admin-bob', { reason: 'again' }, 409); // HOLDING_NOT_SUSPENDED
    await decide('au-2', 'suspension', 'admin-cy', { reason: 'disciplinary review' }, 200);
    await decide('au-2', 'revocation', 'admin-ada', { reason: 'exam fraud, case 42' }, 200);
    await decide('au-2', 'reinstatement', 'admin-ada', { reason: 'too late' }, 409); // HOLDING_REVOKED
    await decide('au-2', 'revocation', 'admin-ada', { reason: '  ' }, 400); // a blank reason
    expect(accepted.map((a) => a.type)).toEqual([
      'CertificationSuspended',
      'CertificationReinstated',
      'CertificationSuspended',
      'CertificationRevoked',
    ]);

    // The holder's erasure shreds name and e-mail, not the program's decisions about the holding.
    await h.http
      .post('/certification-profiles/au-2/personal-data-erasure')
      .set('Authorization', `Bearer ${h.token(['support'], { sub: 'support-sam' })}`)
      .send({ reason: 'holder request' })
      .expect(200);

    const lines = await eventually(
      () => auditExportLines(h),
      (all) => all.some((line) => line.includes('PersonalDataErased')),
    );
    expect(verifyAuditLines(lines)).toMatchObject({ ok: true, events: lines.length - 2 });
    const exported = lines
      .map((line) => JSON.parse(line) as Line)
      .filter((line) => line.kind === 'event' && /^Certification(Revoked|Suspended|Reinstated)$/.test(line.event?.type ?? ''))
      .map(({ event }) => ({
        id: event?.id,
        type: event?.type,
        stream: event?.stream,
        actor: event?.metadata.actor,
        reason: event?.data.reason,
        ...(event?.type === 'CertificationSuspended' ? { until: event.data.until ?? null } : {}),
      }));
    expect(exported).toEqual(accepted);
    for (const refused of ['twice', 'again', 'too late']) expect(lines.join('\n')).not.toContain(`"${refused}"`);

    // A window of the export by instant still shows them (from the first decision's day on).
    const windowed = await h.http
      .get('/audit/export?from=2026-02-01T00:00:00Z')
      .set('Authorization', `Bearer ${h.token(['admin'])}`)
      .buffer(true)
      .parse(asText);
    expect(windowed.status).toBe(200);
    for (const decision of accepted) expect(windowed.body as string).toContain(decision.id);
  });
});
