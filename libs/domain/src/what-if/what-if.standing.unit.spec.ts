import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RecordedEvent } from '@recert/eventstore';
import { Catalog, Certification } from '../catalog';
import { foldHolding, HoldingEvent } from '../holding';
import { decideHolding, HoldingCommand } from '../holding';
import { PolicyBook } from '../policy';
import { WhatIfReplay } from './what-if';

const root = join(__dirname, '..', '..', '..', '..');
const catalog = Catalog.parse(JSON.parse(readFileSync(join(root, 'config', 'catalog.json'), 'utf8')));
const live = PolicyBook.parse(JSON.parse(readFileSync(join(root, 'config', 'policy.json'), 'utf8')));
const twoYears = PolicyBook.parse(JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'policies', 'validity-p2y.json'), 'utf8')));
const AA = 'azure-administrator-associate';
const certification = catalog.get(AA) as Certification;

/** The live log of one holding, decided for real and recorded in order. */
function recorded(steps: [HoldingCommand, string][]): RecordedEvent[] {
  const events: HoldingEvent[] = [];
  for (const [command, at] of steps)
    events.push(...decideHolding(command, foldHolding(events), { now: new Date(at), policies: live, certification }));
  return events.map((event, i) => ({
    id: `e${i}`,
    type: event.type,
    data: event.data as unknown as RecordedEvent['data'],
    metadata: { correlationId: 'c', causationId: 'c', actor: 'admin', occurredAt: '2024-01-01T00:00:00Z' },
    stream: `holding-p1.${AA}`,
    revision: i,
    position: i + 1,
    recordedAt: '2024-01-01T00:00:00Z',
  }));
}

const earn: HoldingCommand = {
  type: 'EarnCertification',
  data: { holdingId: `p1.${AA}`, profileId: 'p1', earnedAt: new Date('2024-01-15T09:00:00Z'), prerequisiteActive: true },
};

function report(log: RecordedEvent[], candidate: PolicyBook, asOf: string) {
  const replay = new WhatIfReplay(live, candidate, catalog);
  for (const event of log) replay.apply(event);
  return replay.report(new Date(asOf));
}

describe('what-if replay of the program decisions', () => {
  it('R15/R14: a revocation is a fact the shadow replays: revoked on both sides', () => {
    const log = recorded([
      [earn, '2024-01-15T09:00:00Z'],
      [{ type: 'RevokeCertification', data: { reason: 'fraud' } }, '2024-06-01T00:00:00Z'],
    ]);
    const result = report(log, twoYears, '2024-07-01T00:00:00Z');
    expect(result.holdingsCompared).toBe(1);
    const differing = result.holdings[0];
    // Only the (informational) expiry differs; the status is revoked on both sides.
    expect(differing?.live.status).toBe('revoked');
    expect(differing?.candidate.status).toBe('revoked');
  });

  it('R16/R14: a suspension is replayed; with a longer validity the shadow is still suspended where live has expired', () => {
    const log = recorded([
      [earn, '2024-01-15T09:00:00Z'],
      [{ type: 'SuspendCertification', data: { reason: 'check', until: null } }, '2024-06-01T00:00:00Z'],
    ]);
    const result = report(log, twoYears, '2025-06-01T00:00:00Z');
    expect(result.holdings[0]).toMatchObject({
      changes: expect.arrayContaining(['status']),
      live: { status: 'expired' },
      candidate: { status: 'suspended' },
    });
  });

  it('R17/R14: a reinstatement is replayed: no difference under the same policy', () => {
    const log = recorded([
      [earn, '2024-01-15T09:00:00Z'],
      [{ type: 'SuspendCertification', data: { reason: 'check', until: null } }, '2024-06-01T00:00:00Z'],
      [{ type: 'ReinstateCertification', data: { reason: 'cleared' } }, '2024-06-10T00:00:00Z'],
    ]);
    expect(report(log, live, '2024-06-11T00:00:00Z')).toMatchObject({ holdingsDiffering: 0, holdingsCompared: 1 });
  });

  it('R27/R14: an override extension is a fact the shadow replays: no difference under the same policy', () => {
    const extend: HoldingCommand = {
      type: 'ApplyOverride',
      data: { overrideId: 'o1', requestedBy: 'ada', approvedBy: 'bob', kind: 'extend-expiry', by: 'P3M', reason: 'outage' },
    };
    const log = recorded([
      [earn, '2024-01-15T09:00:00Z'],
      [extend, '2024-10-01T00:00:00Z'],
    ]);
    expect(log.map((e) => e.type)).toContain('HoldingExpiryExtended');
    // After the old expiry, before the new: active on both sides.
    expect(report(log, live, '2025-02-01T00:00:00Z')).toMatchObject({ holdingsDiffering: 0, holdingsCompared: 1 });
  });
});
