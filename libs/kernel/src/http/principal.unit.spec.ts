import { jwtVerify } from 'jose';
import { signDevelopmentToken } from './development-token';
import { claimAt, issuerActor, principalOf } from './principal';

const issuer = { kind: 'issuer', issuer: 'https://login.example.com/tenant/v2.0', rolesClaim: 'roles', accountClaim: 'sub' } as const;

describe('principalOf: the one place claims become a principal', () => {
  it('R66: recert roles come from the roles claim; names recert does not know are ignored', () => {
    expect(principalOf({ sub: 'svc', roles: ['exam-system', 'offline_access'] }, issuer).roles).toEqual(['exam-system']);
  });

  it('R66: a dotted roles claim (Keycloak realm_access.roles) is read by path; a flat claim with dots wins', () => {
    expect(claimAt({ realm_access: { roles: ['admin'] } }, 'realm_access.roles')).toEqual(['admin']);
    expect(claimAt({ 'realm_access.roles': ['support'], realm_access: { roles: ['admin'] } }, 'realm_access.roles')).toEqual(['support']);
    expect(principalOf({ sub: 'k', realm_access: { roles: ['support'] } }, { ...issuer, rolesClaim: 'realm_access.roles' }).roles).toEqual([
      'support',
    ]);
  });

  it("R66 R68: a person with none of recert's roles is a holder owning by account; a profileId claim is never read", () => {
    expect(principalOf({ sub: 'p-1', profileId: 'someone-elses', roles: ['candidate'] }, issuer)).toEqual({
      sub: 'p-1',
      actor: 'https://login.example.com/tenant/v2.0#p-1',
      roles: ['candidate'],
      accountId: 'p-1',
    });
    expect(principalOf({ sub: 'p-1', oid: 'acc-9' }, { ...issuer, accountClaim: 'oid' }).accountId).toBe('acc-9');
    expect(() => principalOf({ sub: 'p-1' }, { ...issuer, accountClaim: 'oid' })).toThrow(/oid/);
  });

  it('R66: a system token without a role (sub = client_id, or Entra idtyp app) is nobody, not a holder', () => {
    expect(principalOf({ sub: 'svc', client_id: 'svc' }, issuer).roles).toEqual([]);
    expect(principalOf({ sub: 'sp-1', idtyp: 'app' }, issuer).roles).toEqual([]);
  });

  it('R67: the actor is the canonical issuer URL and the subject', () => {
    expect(issuerActor('HTTPS://Login.Example.com:443/tenant/v2.0/', 'ann')).toBe('https://login.example.com/tenant/v2.0#ann');
    expect(issuerActor('https://login.example.com/tenant/v2.0', 'ann')).toBe('https://login.example.com/tenant/v2.0#ann');
  });

  it('HS256 tokens keep the contract claims: roles, a candidate profileId, the actor is the sub', () => {
    expect(principalOf({ sub: 'ada', roles: ['candidate'], profileId: 'cp-1' }, { kind: 'hs256' })).toEqual({
      sub: 'ada',
      actor: 'ada',
      roles: ['candidate'],
      profileId: 'cp-1',
    });
    expect(() => principalOf({ sub: 'ada', roles: ['root'] }, { kind: 'hs256' })).toThrow(/roles/);
  });
});

describe('signDevelopmentToken', () => {
  it('R66: makes an HS256 token jose verifies, with iat and exp', async () => {
    const secret = 's'.repeat(40);
    const token = signDevelopmentToken({ sub: 'dev', roles: ['admin'] }, secret, { nowSeconds: 1_000, expiresInSeconds: 60 });
    const { payload, protectedHeader } = await jwtVerify(token, new TextEncoder().encode(secret), {
      algorithms: ['HS256'],
      currentDate: new Date(1_030_000),
    });
    expect(protectedHeader.alg).toBe('HS256');
    expect(payload).toEqual({ sub: 'dev', roles: ['admin'], iat: 1_000, exp: 1_060 });
  });
});
