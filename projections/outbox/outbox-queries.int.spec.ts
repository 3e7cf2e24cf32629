import type { ReadValue } from '../runtime/read-store';
import { onEachReadStore, type SpecReadStore } from '../runtime/testing/read-stores';
import { OutboxProjection } from './outbox.projection';
import { OutboxQueries, type OutboxStatus } from './outbox.queries';

const COLUMNS = 'id, window_id, holding_id, profile_id, code, opens_at, expires_at, state, claimed_until, last_error';

/** A notification row: pending or sent, failing with its next retry at `claimedUntil` (epoch ms, past 2^31). */
function notification(n: number, state: string, opensAt: string, claimedUntil: number | null, lastError: string | null): ReadValue[] {
  return [`n${n}`, `w${n}`, `p${n}.AZ-104`, `p${n}`, 'AZ-104', opensAt, '2028-01-01T00:00:00.000Z', state, claimedUntil, lastError];
}

/** Every answer of each adapter, to be the same on the other. */
const answers = new Map<string, OutboxStatus[]>();

onEachReadStore('R127 the notification outbox status on the read-store port', (adapter) => {
  let spec: SpecReadStore;
  let outbox: OutboxQueries;
  const seen: OutboxStatus[] = [];
  const add = (row: ReadValue[]): Promise<number> =>
    spec.store.run(`INSERT INTO rm_notifications (${COLUMNS}) VALUES (${row.map(() => '?').join(', ')})`, row);

  beforeAll(async () => {
    spec = adapter();
    await spec.createTables((db) => new OutboxProjection().setup(db));
    outbox = new OutboxQueries(spec.store);
  }, 30_000);

  afterAll(() => answers.set(spec.store.kind, seen));

  it('R127 nothing pending: zeros and nulls (an aggregate without rows is one row on both)', async () => {
    const status = await outbox.status();
    expect(status).toEqual({ pending: 0, failing: 0, oldestPendingSince: null, lastError: null, nextRetryAtMs: null });
    await add(notification(1, 'sent', '2026-01-01T00:00:00.000Z', null, null));
    expect(await outbox.status()).toEqual(status);
    seen.push(status);
  });

  it('R127 pending and failing counted as numbers, the oldest window, the latest failure (a failure without retry time sorts last) and the next retry', async () => {
    await add(notification(2, 'pending', '2026-03-01T00:00:00.000Z', null, null));
    await add(notification(3, 'pending', '2026-02-01T00:00:00.000Z', 1_800_000_000_000, 'smtp refused'));
    await add(notification(4, 'pending', '2026-04-01T00:00:00.000Z', 1_800_000_500_000, 'folder read-only'));
    await add(notification(5, 'pending', '2026-05-01T00:00:00.000Z', null, 'no retry time'));
    const status = await outbox.status();
    expect(status).toEqual({
      pending: 4,
      failing: 3,
      oldestPendingSince: '2026-02-01T00:00:00.000Z',
      lastError: 'folder read-only',
      nextRetryAtMs: 1_800_000_000_000,
    });
    seen.push(status);
  });

  it('R127 the answers equal the other adapter’s', () => {
    const first = answers.values().next().value;
    if (first) expect(seen).toEqual(first);
  });
});
