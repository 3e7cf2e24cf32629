import { CLOSING_SOON_DAYS, closingSoon, mayShare, remaining, urgencyOf } from '../../apps/api/web/urgency';

/** The holder page's urgency and day count (#27.4): pure, so checked here without a browser. */
const NOW = '2026-01-10T12:00:00.000Z';
const at = (days: number, hours = 0): string => new Date(Date.parse(NOW) + (days * 24 + hours) * 3_600_000).toISOString();
const open = (expiresAt: string, extra: Partial<Parameters<typeof urgencyOf>[0]> = {}) => ({
  status: 'renewal-open' as const,
  expiresAt,
  canAttemptNow: true,
  blockedBy: [],
  ...extra,
});

describe('holder urgency', () => {
  it('R105: whole units truncated toward zero: 3 days 20 hours is 3 days; 8 hours is hours, never "1 day"', () => {
    expect(remaining(at(3, 20), NOW)).toEqual({ past: false, unit: 'day', count: 3, days: 3 });
    expect(remaining(at(0, 8), NOW)).toEqual({ past: false, unit: 'hour', count: 8, days: 0 });
    expect(remaining(at(-2, -1), NOW)).toEqual({ past: true, unit: 'day', count: 2, days: 2 });
    expect(remaining(NOW, NOW)).toMatchObject({ unit: 'minute', count: 1 });
  });

  it(`R104: fewer than ${CLOSING_SOON_DAYS} whole days left in an open window is closing soon, whatever blocks it; 126 days is renewable`, () => {
    expect(urgencyOf(open(at(17)), NOW)).toBe('closing');
    expect(urgencyOf(open(at(CLOSING_SOON_DAYS - 1, 23)), NOW)).toBe('closing');
    expect(urgencyOf(open(at(CLOSING_SOON_DAYS)), NOW)).toBe('renewable');
    expect(urgencyOf(open(at(126)), NOW)).toBe('renewable');
    expect(urgencyOf(open(at(5), { canAttemptNow: false, blockedBy: ['PROFILE_NOT_LINKED'] }), NOW)).toBe('closing');
    expect(urgencyOf(open(at(90), { canAttemptNow: false, blockedBy: ['RETAKE_COOLDOWN'] }), NOW)).toBe('cooldown');
  });

  it('R104/R106: expired, revoked, suspended and not-yet-open holdings are never in the band; suspended or revoked ones are not shared', () => {
    for (const status of ['expired', 'revoked', 'suspended', 'active', 'never-expires'] as const) {
      expect(urgencyOf(open(at(5), { status }), NOW)).toBeNull();
      expect(closingSoon(open(at(5), { status }), NOW)).toBe(false);
    }
    expect(
      ['active', 'renewal-open', 'never-expires', 'suspended', 'revoked', 'expired'].filter((status) =>
        mayShare({ status: status as never }),
      ),
    ).toEqual(['active', 'renewal-open', 'never-expires']);
  });
});
