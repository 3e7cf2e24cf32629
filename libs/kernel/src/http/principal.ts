import { canonicalSubject } from '../text';

/** Who asked, as verified from a bearer token: the one place claims become a Principal (both token sources). */
export const ROLES = ['candidate', 'exam-system', 'assessment-system', 'support', 'admin', 'scheduler'] as const;
export type Role = (typeof ROLES)[number];

/** Who asked: from a verified bearer token. */
export interface Principal {
  sub: string;
  /** Who, as recorded in events' metadata: an issuer token's canonical issuer#sub (R67), an HS256 token's sub. */
  actor: string;
  roles: Role[];
  /** For candidates: the only profile they may read and act on. */
  profileId?: string;
  /**
   * For candidates linking: the signed-in learning account, from the identity provider (API.md, Authentication).
   * For a holder signed in through the issuer, `accountId` is its account claim: it owns profiles and proves links.
   */
  learnProfileId?: string;
  accountId?: string;
  accountType?: 'personal' | 'work';
  /** The token's roles that the endpoint lists: what granted this request (set per request by AuthGuard). */
  grantedBy?: Role[];
}

const optionalIdClaim = (claims: Record<string, unknown>, name: string): Record<string, string> => {
  const value = claims[name];
  if (value === undefined) return {};
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) throw new Error(`The ${name} claim must be a string`);
  return { [name]: value };
};

/** recert's roles an issuer may grant (R66); `candidate` is not one: a person with none of these is a holder. */
export const ISSUER_ROLES: readonly Role[] = ['admin', 'support', 'exam-system', 'assessment-system', 'scheduler'];

/** Where a verified token came from: the development/system HS256 secret, or the OpenID Connect issuer. */
export type TokenSource = { kind: 'hs256' } | { kind: 'issuer'; issuer: string; rolesClaim: string; accountClaim: string };

/** A claim by dotted path (`realm_access.roles`); a claim whose own name has a dot wins over the path. */
export function claimAt(claims: Record<string, unknown>, path: string): unknown {
  if (path in claims) return claims[path];
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}

/**
 * The canonical actor of an issuer's subject (R67): the issuer URL in WHATWG form (scheme and host lower case,
 * default port dropped) without a trailing slash, `#`, the subject. Four eyes compares these strings.
 */
export function issuerActor(issuer: string, sub: string): string {
  return `${new URL(issuer).href.replace(/\/$/, '')}#${sub}`;
}

/**
 * The one place a verified token's claims become a Principal (both sources), so every check of the claims' text
 * belongs here. HS256 tokens keep the contract's claims (`roles`, a candidate's `profileId`); issuer tokens take
 * recert's roles from the roles claim (unknown names ignored: providers add their own), and a person with none of
 * them is a holder whose account (the account claim) owns profiles (R68); a `profileId` claim is never read.
 */
export function principalOf(payload: Record<string, unknown>, source: TokenSource): Principal {
  const { accountType } = payload;
  // #22.10: no control, bidi or unpaired-surrogate characters; NFC, trimmed (R45).
  const sub = canonicalSubject(payload['sub']);
  if (accountType !== undefined && accountType !== 'personal' && accountType !== 'work')
    throw new Error('The accountType claim must be personal or work');
  const linking: Pick<Principal, 'learnProfileId' | 'accountType'> = {
    ...optionalIdClaim(payload, 'learnProfileId'),
    ...(accountType === undefined ? {} : { accountType }),
  };
  if (source.kind === 'issuer') {
    const actor = issuerActor(source.issuer, sub);
    const claimed = claimAt(payload, source.rolesClaim);
    const names = Array.isArray(claimed) ? claimed : typeof claimed === 'string' ? claimed.split(' ') : [];
    const roles = ISSUER_ROLES.filter((role) => names.includes(role));
    if (roles.length > 0) return { sub, actor, roles: [...roles] };
    // A system's token without a role is nobody's holder: RFC 9068 gives it sub = client_id, Entra idtyp "app".
    if (payload['client_id'] === sub || payload['idtyp'] === 'app') return { sub, actor, roles: [] };
    const account = claimAt(payload, source.accountClaim);
    if (typeof account !== 'string' || account.length === 0 || account.length > 64)
      throw new Error(`The token has no valid ${source.accountClaim} claim naming the holder's account`);
    return { sub, actor, roles: ['candidate'], accountId: account, ...linking };
  }
  const { roles, profileId } = payload;
  if (!Array.isArray(roles) || roles.some((role) => !(ROLES as readonly unknown[]).includes(role))) {
    throw new Error(`The roles claim must be an array of ${ROLES.join(', ')}`);
  }
  if (profileId !== undefined && (typeof profileId !== 'string' || profileId.length > 64))
    throw new Error('The profileId claim must be a string');
  return {
    sub,
    actor: sub,
    roles: roles as Role[],
    ...(typeof profileId === 'string' ? { profileId } : {}),
    ...optionalIdClaim(payload, 'accountId'),
    ...linking,
  };
}
