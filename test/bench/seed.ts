/**
 * A synthetic population written straight to an embedded store, with events made by the real deciders so their
 * shapes and policy versions are the ones production writes. About 11 events per profile.
 */
import Database from 'better-sqlite3';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { NewEvent, SqliteEventStore } from '@recert/eventstore';
import { addDuration, deterministicId } from '@recert/kernel';
import {
  Catalog,
  decideHolding,
  evolveHolding,
  HoldingEvent,
  HoldingState,
  holdingStream,
  initialHoldingState,
  PolicyBook,
  profileStream,
  accountStream,
  learnProfileStream,
} from '@recert/domain';

export interface SeedOptions {
  dataDir: string;
  targetEvents: number;
  catalog: Catalog;
  policies: PolicyBook;
  /** The population is laid out so that, at this instant, windows are open and holdings expire. */
  now: Date;
  onProgress?: (events: number) => void;
  /**
   * `spread` (default): earned over the last two years, with windows, notifications and attempts as time allows.
   * `window-open`: every associate earned 9 months before now, its window open and no attempt yet (load tests).
   */
  layout?: 'spread' | 'window-open';
  /**
   * `time` (default): the log ends in the order production writes it, by occurrence, so a holder's events lie far
   * apart as they would after two years of use. `profile`: as written here, each profile's history in one run.
   */
  order?: 'time' | 'profile';
  /** Each associate earned with a public verification id (`/verify/:id` load); off by default, as before. */
  verificationIds?: boolean;
}

/** The verification id the seed gives profile `i`'s associate: 22 base64url characters, as the service draws them. */
export function benchVerificationId(i: number): string {
  return createHash('sha256').update(`bench-verification-${i}`).digest().subarray(0, 16).toString('base64url');
}

function meta(actor: string, occurredAt: Date, policyVersion?: string): NewEvent['metadata'] {
  const id = deterministicId('seed', actor, occurredAt.toISOString(), randomBytes(4).toString('hex'));
  return {
    correlationId: id,
    causationId: id,
    actor,
    occurredAt: occurredAt.toISOString(),
    schemaVersion: 1,
    ...(policyVersion ? { policyVersion } : {}),
  };
}

function asNew(event: { type: string; data: Record<string, unknown> }, actor: string, at: Date): NewEvent {
  const policyVersion = typeof event.data['policyVersion'] === 'string' ? event.data['policyVersion'] : undefined;
  return {
    id: deterministicId('seed-event', randomBytes(8).toString('hex')),
    type: event.type,
    data: event.data as NewEvent['data'],
    metadata: { ...meta(actor, at, policyVersion), schemaVersion: event.type === 'AssessmentAttempted' ? 2 : 1 },
  };
}

/** Seeds until at least `targetEvents` are stored; returns the number of profiles and events. */
export async function seedPopulation(options: SeedOptions): Promise<{ profiles: number; events: number }> {
  const store = new SqliteEventStore({ file: join(options.dataDir, 'events.db'), synchronous: 'NORMAL' });
  const sealed = { keyId: 'seed', iv: 'AAAAAAAAAAAAAAAA', tag: 'AAAAAAAAAAAAAAAAAAAAAA==', ciphertext: 'c2VlZA==' };
  const associate = options.catalog.get('azure-administrator-associate');
  const fundamentals = options.catalog.get('azure-fundamentals');
  if (!associate || !fundamentals) throw new Error('the shipped catalog is needed');
  let events = 0;
  let profiles = 0;
  const day = 24 * 3600 * 1000;
  while (events < options.targetEvents) {
    const i = profiles;
    profiles += 1;
    const profileId = `bench-${i}`;
    const accountId = `acc-${i}`;
    const learnProfileId = `learn-${i}`;
    // Earned between 0 and 730 days before now: some active, some in their window, some expired.
    const earnedAt =
      options.layout === 'window-open'
        ? new Date(options.now.getTime() - 270 * day)
        : new Date(options.now.getTime() - ((i * 7919) % 730) * day);
    const created = new Date(earnedAt.getTime() - day);
    await store.append(
      accountStream(accountId),
      [asNew({ type: 'AccountProfileRegistered', data: { accountId, profileId } }, 'exam-system', created)],
      { expectedRevision: 'no_stream' },
    );
    await store.append(
      profileStream(profileId),
      [
        asNew(
          {
            type: 'CertificationProfileCreated',
            data: { profileId, accountId, accountType: 'personal', createdAt: created.toISOString(), personalData: sealed },
          },
          'exam-system',
          created,
        ),
        asNew(
          { type: 'ProfilesLinked', data: { profileId, learnProfileId, accountId, linkedAt: created.toISOString(), reason: 'request' } },
          'candidate',
          created,
        ),
      ],
      { expectedRevision: 'no_stream' },
    );
    await store.append(
      learnProfileStream(learnProfileId),
      [
        asNew(
          { type: 'LearnProfileLinkReserved', data: { learnProfileId, profileId, accountId, reservedAt: created.toISOString() } },
          'candidate',
          created,
        ),
      ],
      { expectedRevision: 'no_stream' },
    );
    events += 4;

    // The associate: earned, then (time permitting) window opened, notified, a failed and a passed attempt.
    const holdingEvents: NewEvent[] = [];
    let state: HoldingState = initialHoldingState;
    const step = (command: Parameters<typeof decideHolding>[0], at: Date, actor: string): void => {
      if (at.getTime() > options.now.getTime()) return;
      const decided: HoldingEvent[] = decideHolding(command, state, { now: at, policies: options.policies, certification: associate });
      for (const event of decided) {
        state = evolveHolding(state, event);
        holdingEvents.push(asNew(event, actor, at));
      }
    };
    step(
      {
        type: 'EarnCertification',
        data: {
          holdingId: `${profileId}.${associate.code}`,
          profileId,
          earnedAt,
          prerequisiteActive: true,
          ...(options.verificationIds ? { verificationId: benchVerificationId(i) } : {}),
        },
      },
      earnedAt,
      'exam-system',
    );
    if (options.layout !== 'window-open' && state.status === 'held' && state.window) {
      const opens = new Date(state.window.opensAt);
      step({ type: 'OpenRenewalWindow' }, opens, 'scheduler');
      if (state.status === 'held' && state.window?.opened) {
        step(
          { type: 'RecordEligibilityNotified', data: { windowId: state.window.id, notificationId: deterministicId('n', state.window.id) } },
          new Date(opens.getTime() + 60_000),
          'notification-dispatcher',
        );
        const attemptAt = new Date(opens.getTime() + ((i % 20) + 1) * day);
        step(
          { type: 'AttemptRenewal', data: { attemptId: `a-${i}-1`, passed: false, score: 500, language: 'en', profileLinked: true } },
          attemptAt,
          'assessment-system',
        );
        if (i % 3 !== 0)
          step(
            { type: 'AttemptRenewal', data: { attemptId: `a-${i}-2`, passed: true, score: 800, language: 'en', profileLinked: true } },
            addDuration(attemptAt, 'PT1H'),
            'assessment-system',
          );
      }
    }
    await store.append(holdingStream(profileId, associate.code), holdingEvents, { expectedRevision: 'no_stream' });
    events += holdingEvents.length;

    const fundamentalsEarned = decideHolding(
      {
        type: 'EarnCertification',
        data: { holdingId: `${profileId}.${fundamentals.code}`, profileId, earnedAt: created, prerequisiteActive: true },
      },
      initialHoldingState,
      { now: created, policies: options.policies, certification: fundamentals },
    );
    await store.append(
      holdingStream(profileId, fundamentals.code),
      fundamentalsEarned.map((e) => asNew(e, 'exam-system', created)),
      { expectedRevision: 'no_stream' },
    );
    events += fundamentalsEarned.length;
    if (profiles % 5000 === 0) options.onProgress?.(events);
  }
  await store.close();
  if (options.order !== 'profile') await orderByOccurrence(join(options.dataDir, 'events.db'));
  return { profiles, events };
}

/**
 * Rewrites the log in order of occurrence (ties keep their order, so each stream keeps its revisions in order):
 * written profile by profile for speed, it becomes the log two years of production would have appended. The
 * store's indexes are dropped for the copy and made again, sorted, when the store next opens the file.
 */
async function orderByOccurrence(file: string): Promise<void> {
  const db = new Database(file);
  const indexes = db
    .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'events' AND sql IS NOT NULL")
    .pluck()
    .all();
  db.transaction(() => {
    for (const index of indexes) db.exec(`DROP INDEX ${index}`);
    db.exec(`
      CREATE TEMP TABLE ordered AS
        SELECT stream, revision, id, type, data, metadata, recorded_at FROM events
        ORDER BY json_extract(metadata, '$.occurredAt'), position;
      DELETE FROM events;
      INSERT INTO events (stream, revision, id, type, data, metadata, recorded_at) SELECT * FROM ordered ORDER BY rowid;
      DROP TABLE ordered;
    `);
  }).immediate();
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.close();
  await new SqliteEventStore({ file }).close();
}
