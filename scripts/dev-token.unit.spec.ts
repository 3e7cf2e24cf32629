import { developmentClaims } from './dev-token';

describe('npm run dev:token', () => {
  it('R66: an admin by default; a candidate needs --profile or --account; unknown roles are refused', () => {
    expect(developmentClaims({ roles: [] })).toEqual({ sub: 'dev-admin', roles: ['admin'] });
    expect(developmentClaims({ roles: ['candidate'], profile: 'cp-1' })).toEqual({
      sub: 'dev-candidate',
      roles: ['candidate'],
      profileId: 'cp-1',
    });
    expect(developmentClaims({ roles: ['candidate'], account: 'acc-1', sub: 'ada' })).toEqual({
      sub: 'ada',
      roles: ['candidate'],
      accountId: 'acc-1',
    });
    expect(() => developmentClaims({ roles: ['candidate'] })).toThrow(/--profile/);
    expect(() => developmentClaims({ roles: ['root'] })).toThrow(/Unknown role root/);
  });
});
