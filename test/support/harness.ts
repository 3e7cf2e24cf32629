import { INestApplication, LoggerService } from '@nestjs/common';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { createApp } from '../../apps/api/src/app.factory';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { loadConfig, ManualClock, Role, signDevelopmentToken } from '@recert/kernel';

export const TEST_SECRET = 'test-secret-that-is-long-enough-for-hs256-use';

/** Claims beyond roles; a candidate's learning-account claims prove ownership of a learn profile when linking. */
export interface TokenClaims {
  sub?: string;
  profileId?: string;
  learnProfileId?: string;
  accountId?: string;
  accountType?: 'personal' | 'work';
}

export interface Harness {
  app: INestApplication;
  http: ReturnType<typeof request>;
  clock: ManualClock;
  store: EventStore;
  dataDir: string;
  token(roles: Role[], claims?: TokenClaims): string;
  close(): Promise<void>;
}

/** The real api app on a fresh embedded store in a temp folder, with a manual clock. */
export async function startApp(
  options: { clockStart?: string; env?: Record<string, string>; dataDir?: string; logger?: LoggerService } = {},
): Promise<Harness> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'recert-e2e-'));
  const config = loadConfig({
    DATA_DIR: dataDir,
    CLOCK: 'manual',
    CLOCK_START: options.clockStart ?? '2026-01-01T00:00:00Z',
    SCHEDULER_INTERVAL_MS: '0',
    DISPATCH_INTERVAL_MS: '0',
    AUTH_JWT_SECRET: TEST_SECRET,
    RATE_LIMIT_PER_MINUTE: '0',
    // A read with ?consistentWith waits for its projection: generous, so a loaded machine never turns it into a 503.
    CONSISTENCY_TIMEOUT_MS: '60000',
    ...options.env,
  });
  const clock = new ManualClock(config.clockStart ?? new Date());
  const app = await createApp({ config, clock, logger: options.logger ?? false });
  // Listening once: supertest then reuses the server, instead of listening and closing it around every request
  // (which reset a request still connecting while a concurrent one finished: ECONNRESET under load).
  await app.listen(0, '127.0.0.1');
  return {
    app,
    http: request(app.getHttpServer() as Parameters<typeof request>[0]),
    clock,
    store: app.get<EventStore>(EVENT_STORE),
    dataDir,
    token: (roles, claims = {}) => signDevelopmentToken({ ...claims, sub: claims.sub ?? `${roles.join('+')}-user`, roles }, TEST_SECRET),
    close: async () => {
      await app.close();
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Runs `action` and asserts the log did not grow: a refused command stores nothing. */
export async function expectNothingStored(h: Harness, action: () => Promise<unknown>): Promise<void> {
  const before = await h.store.headPosition();
  await action();
  expect(await h.store.headPosition()).toBe(before);
}

/** Asserts a problem+json answer with this status and code. */
export function expectProblem(response: request.Response, status: number, code: string): void {
  expect({ status: response.status, code: (response.body as { code?: string }).code }).toEqual({ status, code });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toEqual(
    expect.objectContaining({ type: expect.any(String), title: expect.any(String), detail: expect.any(String) }),
  );
}

/**
 * Seeds through the API: a profile on its own personal account `acc-<id>`, optionally linked to `learn-<id>`,
 * holding the certifications given (earned now, or at earnedAt).
 */
export async function seedProfile(
  h: Harness,
  profileId: string,
  options: { linked?: boolean; displayName?: string; earn?: { code: string; earnedAt?: string }[] } = {},
): Promise<void> {
  const exam = `Bearer ${h.token(['exam-system'])}`;
  await h.http
    .post('/certification-profiles')
    .set('Authorization', exam)
    .send({
      profileId,
      accountId: `acc-${profileId}`,
      accountType: 'personal',
      displayName: options.displayName ?? profileId,
      email: `${profileId}@example.com`,
    })
    .expect(201);
  if (options.linked) await linkAsHolder(h, profileId, `learn-${profileId}`).expect(200);
  for (const cert of options.earn ?? []) {
    await h.http
      .post(`/certification-profiles/${profileId}/certifications`)
      .set('Authorization', exam)
      .send({ certificationCode: cert.code, ...(cert.earnedAt ? { earnedAt: cert.earnedAt } : {}) })
      .expect(201);
  }
}

/**
 * The holder links its own learn profile: a candidate token carrying the signed-in learning account's claims
 * (learnProfileId, accountId, accountType; by default the seeded `acc-<profileId>`, personal), as API.md requires.
 */
export function linkAsHolder(
  h: Harness,
  profileId: string,
  learnProfileId: string,
  account: { accountId?: string; accountType?: 'personal' | 'work' } = {},
): request.Test {
  const claims = {
    profileId,
    learnProfileId,
    accountId: account.accountId ?? `acc-${profileId}`,
    accountType: account.accountType ?? 'personal',
  };
  return h.http
    .post(`/certification-profiles/${profileId}/learn-profile-link`)
    .set('Authorization', `Bearer ${h.token(['candidate'], claims)}`)
    .send({ learnProfileId });
}

/** A supertest parser that keeps any body as text (NDJSON, JWTs), for `.buffer(true).parse(asText)`. */
export function asText(response: request.Response, done: (error: Error | null, body: string) => void): void {
  // supertest hands the raw response stream to a parser.
  const stream = response as unknown as NodeJS.ReadableStream & { setEncoding(encoding: string): void };
  let text = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => (text += chunk));
  stream.on('end', () => done(null, text));
}

/** A supertest parser that keeps any body as bytes (PDF), for `.buffer(true).parse(asBytes)`. */
export function asBytes(response: request.Response, done: (error: Error | null, body: Buffer) => void): void {
  const stream = response as unknown as NodeJS.ReadableStream;
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  stream.on('end', () => done(null, Buffer.concat(chunks)));
}

/** The audit export's lines (NDJSON), read whole with an admin token. */
export async function auditExportLines(h: Harness): Promise<string[]> {
  const res = await h.http
    .get('/audit/export')
    .set('Authorization', `Bearer ${h.token(['admin'])}`)
    .buffer(true)
    .parse(asText);
  expect(res.status).toBe(200);
  expect(res.headers['content-type']).toMatch(/application\/x-ndjson/);
  return (res.body as string).trimEnd().split('\n');
}

/** Polls `probe` until `done` holds of its answer (read models catch up asynchronously), with a generous deadline. */
export async function eventually<T>(probe: () => Promise<T>, done: (value: T) => boolean, deadlineMs = 20_000): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > until) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
