import type { RecordedEvent } from '@recert/eventstore';
import { IDEMPOTENCY_STORE, IdempotencyStore } from '@recert/kernel';
import type { Response } from 'supertest';
import { Harness, seedProfile, startApp } from '../support/harness';
import { createDatabase, dropDatabase, postgresUnavailableReason, uniqueName } from '../support/postgres';

jest.setTimeout(120_000);

type Answer = { events: { id: string; type: string; position: number; stream: string }[]; position: number };

/**
 * #22.3: a command with an Idempotency-Key whose events were stored, but whose answer never was (the process died
 * between the append and recording the answer), is retried once its claim went stale. The retry must answer what
 * the first try would have: 201 with the events stored, storing nothing more — not PROFILE_EXISTS or
 * EXAM_DOES_NOT_RENEW from deciding again on a state that holds them.
 */
function crashRetrySpec(name: string, start: () => Promise<Harness>, after?: () => Promise<void>): void {
  describe(`a retry after a crash between append and answer (${name})`, () => {
    let h: Harness;
    let store: IdempotencyStore;
    beforeAll(async () => {
      h = await start();
      store = h.app.get<IdempotencyStore>(IDEMPOTENCY_STORE);
    }, 60_000);
    afterAll(async () => {
      await h?.close();
      await after?.();
    }, 60_000);
    afterEach(() => jest.restoreAllMocks());

    /** The first try: its events are appended, then the process "dies": no answer recorded, the claim left behind. */
    async function crashedFirstTry(send: () => Promise<Response>): Promise<RecordedEvent[]> {
      const before = await h.store.headPosition();
      jest.spyOn(store, 'complete').mockRejectedValueOnce(new Error('simulated crash: the answer was never recorded'));
      jest.spyOn(store, 'release').mockResolvedValueOnce(undefined);
      const first = await send();
      expect(first.status).toBe(500);
      const stored = await h.store.readAll({ after: before });
      expect(stored.length).toBeGreaterThan(0);
      return stored;
    }

    /** The retry, once the claim counts as abandoned (as IDEMPOTENCY_CLAIM_TTL_MS later). */
    async function retryAfterStaleClaim(send: () => Promise<Response>): Promise<Response> {
      const claim = store.claim.bind(store);
      jest
        .spyOn(store, 'claim')
        // Claims age on the shared state's own clock (R56): a claim stale after 0 ms is as one IDEMPOTENCY_CLAIM_TTL_MS old.
        .mockImplementationOnce((key, requestHash, nowMs) => claim(key, requestHash, nowMs, 0));
      return send();
    }

    const expectSameEvents = (answer: Answer, stored: RecordedEvent[]): void => {
      expect(answer.events.map((event) => [event.id, event.type, event.stream, event.position])).toEqual(
        stored.map((event) => [event.id, event.type, event.stream, event.position]),
      );
      expect(answer.position).toBe(stored[stored.length - 1]?.position);
    };

    it("R46 (#22.3): create profile: the retry answers 201 with the first try's events, not PROFILE_EXISTS; nothing stored twice", async () => {
      const send = () =>
        h.http
          .post('/certification-profiles')
          .set('Authorization', `Bearer ${h.token(['exam-system'])}`)
          .set('Idempotency-Key', 'crash-create-1')
          .send({ profileId: 'crash-1', accountId: 'acc-crash-1', accountType: 'personal', displayName: 'C', email: 'c@example.com' });
      const stored = await crashedFirstTry(send);
      expect(stored.map((event) => event.type)).toEqual(['AccountProfileRegistered', 'CertificationProfileCreated']);
      const head = await h.store.headPosition();
      const retry = await retryAfterStaleClaim(send);
      expect(retry.status).toBe(201);
      expectSameEvents(retry.body as Answer, stored);
      // And the answer is now recorded: a third try replays it.
      const third = await send();
      expect(third.status).toBe(201);
      expect(third.headers['idempotent-replayed']).toBe('true');
      expect(third.body).toEqual(retry.body);
      expect(await h.store.headPosition()).toBe(head);
    });

    it("R46 (#22.3): earn a certification: the retry answers 201 with the holding and the first try's events, not EXAM_DOES_NOT_RENEW", async () => {
      await seedProfile(h, 'crash-2');
      const send = () =>
        h.http
          .post('/certification-profiles/crash-2/certifications')
          .set('Authorization', `Bearer ${h.token(['exam-system'])}`)
          .set('Idempotency-Key', 'crash-earn-2')
          .send({ certificationCode: 'azure-administrator-associate' });
      const stored = await crashedFirstTry(send);
      const head = await h.store.headPosition();
      const retry = await retryAfterStaleClaim(send);
      expect(retry.status).toBe(201);
      expectSameEvents(retry.body as Answer, stored);
      expect(retry.body).toMatchObject({ holdingId: expect.any(String), expiresAt: expect.any(String) });
      expect(await h.store.headPosition()).toBe(head);
      // Without the key, the same command is a new one and refused as before.
      const again = await h.http
        .post('/certification-profiles/crash-2/certifications')
        .set('Authorization', `Bearer ${h.token(['exam-system'])}`)
        .send({ certificationCode: 'azure-administrator-associate' });
      expect({ status: again.status, code: (again.body as { code?: string }).code }).toEqual({ status: 409, code: 'EXAM_DOES_NOT_RENEW' });
    });
  });
}

crashRetrySpec('SQLite', () => startApp());

const unavailable = postgresUnavailableReason();
if (unavailable) process.stdout.write(`PostgreSQL idempotency crash retry SKIPPED: ${unavailable}\n`);
if (!unavailable) {
  const database = uniqueName('recert_idem');
  crashRetrySpec(
    'PostgreSQL',
    async () => startApp({ env: { EVENTSTORE_CONNECTION_STRING: await createDatabase(database) } }),
    () => dropDatabase(database),
  );
}
