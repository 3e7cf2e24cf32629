import { join } from 'node:path';
import { EventStore, SqliteEventStore, upcastingEventStore } from '@recert/eventstore';
import { ManualClock, projectRoot } from '@recert/kernel';
import {
  DomainError,
  holdingDecider,
  holdingIdOf,
  holdingStatusAt,
  HoldingCommand,
  PolicyBook,
  profileDecider,
  upcast,
  WhatIfReplay,
  withPolicyWindow,
} from '@recert/domain';
import { loadCatalog, loadPolicyBook } from '../config-files';
import { holdingDeps } from '../command-handling/decisions';
import { StreamCommands } from '../command-handling/stream-commands';
import { candidateBook } from './what-if.runner';

/**
 * #17.3: the pure what-if must say what the live path would have done. The same commands, at the same instants,
 * go through `handle` once under the live policy (the log the what-if replays) and once under the candidate
 * (the live path's own answer); the what-if's candidate side of every holding must equal the second.
 */
describe('what-if compared with the live path over the same commands (#17.3, R2/R3/R5/R8/R14)', () => {
  const root = projectRoot();
  const catalog = loadCatalog(join(root, 'config', 'catalog.json'));
  const live = loadPolicyBook(join(root, 'config', 'policy.json'));
  const found = catalog.get('azure-administrator-associate');
  if (!found) throw new Error('catalog without azure-administrator-associate');
  const certification = found;
  const asOf = new Date('2027-06-01T00:00:00Z');

  // Per profile: earned at, then attempts (at, passed). Windows, renewals and refusals differ between policies.
  const script: { profileId: string; earnedAt: string; attempts: { at: string; passed: boolean }[] }[] = [
    { profileId: 'wc-1', earnedAt: '2025-09-01T00:00:00Z', attempts: [{ at: '2026-04-01T00:00:00Z', passed: true }] },
    { profileId: 'wc-2', earnedAt: '2025-09-01T00:00:00Z', attempts: [{ at: '2026-07-15T00:00:00Z', passed: true }] },
    {
      profileId: 'wc-3',
      earnedAt: '2025-11-01T00:00:00Z',
      attempts: [
        { at: '2026-06-01T00:00:00Z', passed: false },
        { at: '2026-06-03T00:00:00Z', passed: true },
      ],
    },
    { profileId: 'wc-4', earnedAt: '2025-10-01T00:00:00Z', attempts: [] },
  ];

  async function runLive(book: PolicyBook): Promise<{ store: EventStore; commands: StreamCommands }> {
    const store = upcastingEventStore(new SqliteEventStore({ file: ':memory:' }), upcast);
    const clock = new ManualClock(new Date('2025-01-01T00:00:00Z'));
    const commands = new StreamCommands(store, clock);
    const policies = { book: () => book };
    // Linked profiles (R7), so every attempt is the policy's to judge, on both paths.
    for (const { profileId } of script) {
      const meta = { commandId: `${profileId}-setup`, correlationId: 'wc', causationId: 'wc', actor: 'test' };
      const accountId = `acc-${profileId}`;
      const personalData = { keyId: 'k', iv: 'i', tag: 't', ciphertext: 'c' };
      await commands.handle(
        profileDecider,
        profileId,
        { type: 'CreateProfile', data: { profileId, accountId, accountType: 'personal', personalData } },
        meta,
      );
      await commands.handle(
        profileDecider,
        profileId,
        {
          type: 'LinkLearnProfile',
          data: {
            learnProfileId: `learn-${profileId}`,
            accountId,
            accountType: 'personal',
            learnProfileLinkedTo: profileId,
            activeProfilesOfAccount: 1,
            reason: 'request',
          },
        },
        meta,
        { step: 'link' },
      );
    }
    const steps: { at: string; profileId: string; command: HoldingCommand }[] = [];
    for (const { profileId, earnedAt, attempts } of script) {
      const holdingId = holdingIdOf(profileId, certification.code);
      steps.push({
        at: earnedAt,
        profileId,
        command: { type: 'EarnCertification', data: { holdingId, profileId, earnedAt: new Date(earnedAt), prerequisiteActive: true } },
      });
      attempts.forEach(({ at, passed }, index) =>
        steps.push({
          at,
          profileId,
          command: {
            type: 'AttemptRenewal',
            data: { attemptId: `${profileId}-a${index}`, passed, score: passed ? 800 : 400, language: 'en', profileLinked: true },
          },
        }),
      );
    }
    steps.sort((a, b) => a.at.localeCompare(b.at));
    for (const step of steps) {
      clock.set(new Date(step.at));
      const meta = { commandId: `${step.profileId}@${step.at}`, correlationId: 'wc', causationId: 'wc', actor: 'test' };
      const id = { profileId: step.profileId, certificationCode: certification.code };
      // The candidate may refuse what the live policy allowed (an attempt outside its window): the what-if says so too.
      await commands.handle(holdingDecider, id, step.command, meta, holdingDeps(certification, policies)).catch((error: unknown) => {
        if (!(error instanceof DomainError)) throw error;
      });
    }
    return { store, commands };
  }

  async function replay(store: EventStore, book: PolicyBook, candidate: PolicyBook): Promise<WhatIfReplay> {
    const replayer = new WhatIfReplay(book, candidate, catalog);
    for (const event of await store.readAll({ filter: { eventTypes: WhatIfReplay.inputTypes } })) replayer.apply(event);
    return replayer;
  }

  async function livePathSides(book: PolicyBook, run: { commands: StreamCommands }) {
    const sides: Record<string, { status: string; expiresAt: string | null; renewalWindowOpensAt: string | null }> = {};
    for (const { profileId } of script) {
      const { state } = await run.commands.load(
        holdingDecider.streamOf({ profileId, certificationCode: certification.code }),
        holdingDecider,
      );
      if (state.status !== 'held') throw new Error(`${profileId} not held`);
      const current = withPolicyWindow(state, book);
      sides[state.holdingId] = {
        status: holdingStatusAt(current, asOf),
        expiresAt: current.expiresAt,
        renewalWindowOpensAt: current.window?.opensAt ?? null,
      };
    }
    return sides;
  }

  it('under the live policy itself, the what-if reports no difference over the live log', async () => {
    const a = await runLive(live);
    const report = (await replay(a.store, live, live)).report(asOf);
    expect(report.holdingsCompared).toBe(script.length);
    expect(report.holdingsDiffering).toBe(0);
    await a.store.close();
  });

  it('under a candidate (3-month window, 2-year extension), every holding is what the live path decides under it', async () => {
    const candidate = candidateBook(
      {
        ...live.versions[live.versions.length - 1],
        version: 'wc-candidate',
        effectiveFrom: '2026-01-01T00:00:00Z',
        window: { beforeExpiry: 'P3M' },
        extension: 'P2Y',
      },
      live,
    );
    const a = await runLive(live);
    const b = await runLive(candidate);
    const report = (await replay(a.store, live, candidate)).report(asOf);
    const underLive = await livePathSides(live, a);
    const underCandidate = await livePathSides(candidate, b);
    // The candidate must change something here, or the comparison proves nothing.
    expect(report.holdingsDiffering).toBeGreaterThan(0);
    for (const [holdingId, expected] of Object.entries(underCandidate)) {
      const difference = report.holdings.find((h) => h.holdingId === holdingId);
      const whatIf = difference ? difference.candidate : underLive[holdingId];
      expect({ holdingId, ...whatIf }).toMatchObject({ holdingId, ...expected });
      if (difference) expect({ holdingId, ...difference.live }).toMatchObject({ holdingId, ...underLive[holdingId] });
    }
    await a.store.close();
    await b.store.close();
  });
});
