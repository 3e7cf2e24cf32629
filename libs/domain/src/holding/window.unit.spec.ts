import { after, attempt, ctx, earn, earned, spec } from './testing/fixtures';

describe('holding decider: the scheduler opens windows and expires holdings, the dispatcher records reminders', () => {
  describe('when an associate is held and active, window not yet open', () => {
    const history = earned('2024-01-15T09:00:00Z'); // expires 2025-01-15T09:00Z, window opens 2024-07-15T09:00Z

    it('R3: the scheduler cannot open the window early', () => {
      spec.given(history).when({ type: 'OpenRenewalWindow' }, ctx('2024-07-15T08:59:59Z')).thenNothing();
    });

    it('R9: the holding cannot be expired before its expiry', () => {
      spec.given(history).when({ type: 'ExpireHolding' }, ctx('2025-01-15T08:59:59Z')).thenNothing();
    });
  });

  describe('when the window has opened', () => {
    const history = earned('2024-01-15T09:00:00Z');

    it('R3/R4: the scheduler opens the window once, at its instant, recording the policy in force then', () => {
      const opened = spec
        .given(history)
        .when({ type: 'OpenRenewalWindow' }, ctx('2024-07-15T09:00:00Z'))
        .thenMatches([
          {
            type: 'RenewalWindowOpened',
            data: {
              windowId: 'p1.azure-administrator-associate@2025-01-15T09:00:00.000Z',
              opensAt: '2024-07-15T09:00:00.000Z',
              policyVersion: '2021-06-30',
            },
          },
        ]);
      spec
        .given([...history, ...opened])
        .when({ type: 'OpenRenewalWindow' }, ctx('2024-07-16T00:00:00Z'))
        .thenNothing();
    });

    it('R4: the eligibility notification is recorded once per window', () => {
      const opened = after(history, { type: 'OpenRenewalWindow' }, '2024-07-15T09:00:00Z');
      const windowId = 'p1.azure-administrator-associate@2025-01-15T09:00:00.000Z';
      const notified = spec
        .given(opened)
        .when({ type: 'RecordEligibilityNotified', data: { windowId, notificationId: 'n1' } }, ctx('2024-07-15T09:01:00Z'))
        .thenMatches([{ type: 'RenewalEligibilityNotified', data: { windowId, notificationId: 'n1' } }]);
      spec
        .given([...opened, ...notified])
        .when({ type: 'RecordEligibilityNotified', data: { windowId, notificationId: 'n1' } }, ctx('2024-07-15T09:02:00Z'))
        .thenNothing();
    });

    it('R4: a notification sent as its window ended (renewed before the record) is still recorded, once', () => {
      const windowId = 'p1.azure-administrator-associate@2025-01-15T09:00:00.000Z';
      const record = { type: 'RecordEligibilityNotified' as const, data: { windowId, notificationId: 'n1' } };
      const renewed = after(
        after(history, { type: 'OpenRenewalWindow' }, '2024-07-15T09:00:00Z'),
        attempt('a1', true),
        '2024-07-15T09:00:30Z',
      );
      expect(renewed.map((event) => event.type)).toContain('CertificationRenewed');
      const notified = spec
        .given(renewed)
        .when(record, ctx('2024-07-15T09:01:00Z'))
        .thenMatches([
          { type: 'RenewalEligibilityNotified', data: { windowId, notificationId: 'n1', notifiedAt: '2024-07-15T09:01:00.000Z' } },
        ]);
      spec
        .given([...renewed, ...notified])
        .when(record, ctx('2024-07-15T09:02:00Z'))
        .thenNothing();
    });

    it('R4: a window that never opened and ended (expired, earned again) had no notification to record', () => {
      const windowId = 'p1.azure-administrator-associate@2025-01-15T09:00:00.000Z';
      const expired = after(history, { type: 'ExpireHolding' }, '2025-01-15T09:00:00Z');
      const again = after(expired, earn('2025-03-01T00:00:00Z'), '2025-03-01T00:00:00Z');
      spec
        .given(again)
        .when({ type: 'RecordEligibilityNotified', data: { windowId, notificationId: 'n1' } }, ctx('2025-03-01T00:01:00Z'))
        .thenNothing();
    });

    it('R4: a window that opened, expired unrenewed and was earned again can still record its notification', () => {
      const windowId = 'p1.azure-administrator-associate@2025-01-15T09:00:00.000Z';
      const opened = after(history, { type: 'OpenRenewalWindow' }, '2024-07-15T09:00:00Z');
      const again = after(
        after(opened, { type: 'ExpireHolding' }, '2025-01-15T09:00:00Z'),
        earn('2025-03-01T00:00:00Z'),
        '2025-03-01T00:00:00Z',
      );
      spec
        .given(again)
        .when({ type: 'RecordEligibilityNotified', data: { windowId, notificationId: 'n1' } }, ctx('2025-03-01T00:01:00Z'))
        .thenMatches([{ type: 'RenewalEligibilityNotified', data: { windowId } }]);
    });
  });
});
