import { CertificationEarned, evolveHolding, HoldingCommand, HoldingEvent, initialHoldingState, snapshotOf } from '.';
import { attempt, ctx, earn, earned, spec } from './testing/fixtures';

describe('holding decider: merges', () => {
  describe('R12: merges move holdings', () => {
    const history = earned('2024-01-15T09:00:00Z');
    const mergeOut: HoldingCommand = {
      type: 'MergeHoldingOut',
      data: { mergeId: 'm1', toProfileId: 'p2', toHoldingId: 'p2.azure-administrator-associate' },
    };
    /** p1's holding moving in to p2, as its snapshot says. */
    const mergeIn = (snapshot: ReturnType<typeof snapshotOf>): HoldingCommand => ({
      type: 'MergeHoldingIn',
      data: {
        mergeId: 'm1',
        holdingId: 'p2.azure-administrator-associate',
        profileId: 'p2',
        fromProfileId: 'p1',
        fromHoldingId: 'p1.azure-administrator-associate',
        snapshot,
      },
    });

    it('the source holding moves out once and then refuses every command', () => {
      const out = spec
        .given(history)
        .when(mergeOut, ctx('2024-03-01T00:00:00Z'))
        .thenMatches([{ type: 'HoldingMergedOut', data: { toProfileId: 'p2' } }]);
      spec
        .given([...history, ...out])
        .when(mergeOut, ctx('2024-03-01T00:00:01Z'))
        .thenNothing();
      spec
        .given([...history, ...out])
        .when(attempt('a1', true), ctx('2024-08-01T00:00:00Z'))
        .thenThrows('PROFILE_MERGED');
      spec
        .given([...history, ...out])
        .when(earn('2026-01-01T00:00:00Z'), ctx('2026-01-01T00:00:00Z'))
        .thenThrows('PROFILE_MERGED');
    });

    it('the target adopts the moved holding with its expiry and window when it had none', () => {
      const source = history.reduce(evolveHolding, initialHoldingState);
      if (source.status !== 'held') throw new Error('setup');
      const mergedIn = spec
        .given([])
        .when(mergeIn(snapshotOf(source)), ctx('2024-03-01T00:00:00Z'))
        .thenMatches([{ type: 'HoldingMergedIn', data: { adopted: true } }]);
      const target = mergedIn.reduce(evolveHolding, initialHoldingState);
      expect(target).toMatchObject({
        status: 'held',
        profileId: 'p2',
        expiresAt: '2025-01-15T09:00:00.000Z',
        window: { id: 'p2.azure-administrator-associate@2025-01-15T09:00:00.000Z' },
      });
    });

    it('when both held it, the one valid longer survives', () => {
      const older = earned('2023-06-01T00:00:00Z').reduce(evolveHolding, initialHoldingState); // expires 2024-06-01, before the target's
      if (older.status !== 'held') throw new Error('setup');
      const targetHistory: HoldingEvent[] = [
        {
          ...(earned('2024-01-15T09:00:00Z')[0] as CertificationEarned),
          data: {
            ...(earned('2024-01-15T09:00:00Z')[0] as CertificationEarned).data,
            profileId: 'p2',
            holdingId: 'p2.azure-administrator-associate',
          },
        },
      ];
      spec
        .given(targetHistory)
        .when(mergeIn(snapshotOf(older)), ctx('2024-03-01T00:00:00Z'))
        .thenMatches([{ type: 'HoldingMergedIn', data: { adopted: false } }]);
    });
  });
});
