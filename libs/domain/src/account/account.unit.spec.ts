import { accountDecider, AccountEvent, AccountState } from './account';

/** R12: the account index, decided once (creation and merge both go through this decider, #17.3). */
describe('account decider (R12, #17.3)', () => {
  const fold = (events: AccountEvent[]): AccountState => events.reduce(accountDecider.evolve, accountDecider.initialState);
  const now = new Date('2026-01-01T00:00:00Z');
  const register = { type: 'RegisterProfile' as const, data: { accountId: 'a', profileId: 'p1' } };
  const close = { type: 'CloseProfile' as const, data: { accountId: 'a', profileId: 'p1', mergedInto: 'p2' } };

  it('names the stream account-<accountId>', () => {
    expect(accountDecider.streamOf('a')).toBe('account-a');
  });

  it('registers a profile once: a repeated creation appends nothing', () => {
    const first = accountDecider.decide(register, fold([]), { now });
    expect(first).toEqual([{ type: 'AccountProfileRegistered', data: { accountId: 'a', profileId: 'p1' } }]);
    expect(accountDecider.decide(register, fold(first), { now })).toEqual([]);
  });

  it('closes a listed profile once, and a profile it does not list not at all', () => {
    const registered = fold(accountDecider.decide(register, fold([]), { now }));
    const closed = accountDecider.decide(close, registered, { now });
    expect(closed).toEqual([{ type: 'AccountProfileClosed', data: close.data }]);
    expect(accountDecider.evolve(registered, closed[0] as AccountEvent)).toEqual({ profiles: [] });
    expect(accountDecider.decide(close, fold([]), { now })).toEqual([]);
  });
});
