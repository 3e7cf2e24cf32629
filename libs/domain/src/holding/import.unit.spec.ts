import { Certification } from '../catalog';
import { DomainError } from '../errors';
import { catalog, policies, spec } from './testing/fixtures';
import { evolveHolding, HoldingEvent, holdingStatusAt, ImportSource, initialHoldingState } from '.';
import { decideHolding, HoldingCommand, HoldingContext } from '.';
import { decideProfile, evolveProfile, initialProfileState, ProfileCommand } from '../profile/profile';

const AA = 'azure-administrator-associate';

const ctx = (code = AA, now = '2026-01-01T00:00:00Z'): HoldingContext => ({
  now: new Date(now),
  policies,
  certification: catalog.get(code) as Certification,
});
const source = (sourceId = 'c-1', run = 'run-1', line = 2): ImportSource => ({ system: 'legacy', sourceId, line, run });
const importing = (
  earnedAt: string,
  options: { renewedAt?: string[]; expiresAt?: string | null; prerequisiteActive?: boolean; from?: ImportSource; code?: string } = {},
): HoldingCommand => ({
  type: 'ImportCertification',
  data: {
    holdingId: `p1.${options.code ?? AA}`,
    profileId: 'p1',
    earnedAt: new Date(earnedAt),
    renewedAt: (options.renewedAt ?? []).map((instant) => new Date(instant)),
    ...(options.expiresAt !== undefined ? { expiresAt: options.expiresAt === null ? null : new Date(options.expiresAt) } : {}),
    prerequisiteActive: options.prerequisiteActive ?? true,
    importedFrom: options.from ?? source(),
  },
});

describe('ImportCertification (#14.3)', () => {
  it('R40: the history is decided as live: P1Y from earning, each renewal P1Y from the expiry then (R5), the window from the book', () => {
    const [event] = spec
      .given([])
      .when(importing('2024-03-01T00:00:00Z', { renewedAt: ['2025-01-10T00:00:00Z'] }), ctx())
      .thenMatches([
        {
          type: 'CertificationImported',
          data: {
            earnedAt: '2024-03-01T00:00:00.000Z',
            renewals: ['2025-01-10T00:00:00.000Z'],
            expiresAt: '2026-03-01T00:00:00.000Z',
            renewalWindowOpensAt: '2025-09-01T00:00:00.000Z',
            cycle: 1,
            policyVersion: '2021-06-30',
            importedFrom: { system: 'legacy', sourceId: 'c-1', line: 2, run: 'run-1' },
          },
        },
      ]);
    const state = evolveHolding(initialHoldingState, event as HoldingEvent);
    expect(state.status === 'held' && holdingStatusAt(state, new Date('2026-01-01T00:00:00Z'))).toBe('renewal-open');
  });

  it('R41: an earlier legacy expiry is kept; a later one than the policy gives is refused (EXPIRY_BEYOND_POLICY)', () => {
    spec
      .given([])
      .when(importing('2024-03-01T00:00:00Z', { expiresAt: '2025-02-01T00:00:00Z' }), ctx())
      .thenMatches([{ type: 'CertificationImported', data: { expiresAt: '2025-02-01T00:00:00.000Z' } }]);
    spec
      .given([])
      .when(importing('2024-03-01T00:00:00Z', { expiresAt: '2025-03-02T00:00:00Z' }), ctx())
      .thenThrows('EXPIRY_BEYOND_POLICY');
    spec
      .given([])
      .when(importing('2024-03-01T00:00:00Z', { expiresAt: '2024-02-01T00:00:00Z' }), ctx())
      .thenThrows('VALIDATION_FAILED');
  });

  it('R40: a renewal before its window (R3) or after its expiry (R9) is refused, and so are renewals out of order', () => {
    spec
      .given([])
      .when(importing('2024-03-01T00:00:00Z', { renewedAt: ['2024-05-01T00:00:00Z'] }), ctx())
      .thenThrows('WINDOW_NOT_OPEN');
    spec
      .given([])
      .when(importing('2024-03-01T00:00:00Z', { renewedAt: ['2025-03-02T00:00:00Z'] }), ctx())
      .thenThrows('CERTIFICATION_EXPIRED');
    spec
      .given([])
      .when(importing('2024-03-01T00:00:00Z', { renewedAt: ['2025-01-10T00:00:00Z', '2024-12-01T00:00:00Z'] }), ctx())
      .thenThrows('VALIDATION_FAILED');
  });

  it('R1/R40: fundamentals import without expiry or renewals; other levels always expire; nothing in the future; R10 prerequisites', () => {
    spec
      .given([])
      .when(importing('2023-01-01T00:00:00Z', { code: 'azure-fundamentals' }), ctx('azure-fundamentals'))
      .thenMatches([{ type: 'CertificationImported', data: { expiresAt: null, renewalWindowOpensAt: null } }]);
    spec
      .given([])
      .when(importing('2023-01-01T00:00:00Z', { code: 'azure-fundamentals', expiresAt: '2024-01-01T00:00:00Z' }), ctx('azure-fundamentals'))
      .thenThrows('NOT_RENEWABLE');
    spec
      .given([])
      .when(importing('2024-03-01T00:00:00Z', { expiresAt: null }), ctx())
      .thenThrows('VALIDATION_FAILED');
    spec.given([]).when(importing('2026-02-01T00:00:00Z'), ctx()).thenThrows('VALIDATION_FAILED');
    spec.given([]).when(importing('2019-01-01T00:00:00Z'), ctx()).thenThrows('VALIDATION_FAILED');
    const expert = 'azure-solutions-architect-expert';
    spec
      .given([])
      .when(importing('2024-06-01T00:00:00Z', { code: expert, prerequisiteActive: false }), ctx(expert))
      .thenThrows('PREREQUISITE_NOT_MET');
  });

  it('R39: the same source imports nothing twice; a holding there already, from elsewhere, is refused (HOLDING_EXISTS)', () => {
    const imported = decideHolding(importing('2024-03-01T00:00:00Z'), initialHoldingState, ctx());
    spec
      .given(imported)
      .when(importing('2024-03-01T00:00:00Z', { from: source('c-1', 'run-2', 9) }), ctx())
      .thenNothing();
    spec
      .given(imported)
      .when(importing('2024-03-01T00:00:00Z', { from: source('c-other') }), ctx())
      .thenThrows('HOLDING_EXISTS');
    const earned = decideHolding(
      {
        type: 'EarnCertification',
        data: { holdingId: `p1.${AA}`, profileId: 'p1', earnedAt: new Date('2025-06-01T00:00:00Z'), prerequisiteActive: true },
      },
      initialHoldingState,
      ctx(),
    );
    spec.given(earned).when(importing('2024-03-01T00:00:00Z'), ctx()).thenThrows('HOLDING_EXISTS');
  });
});

function codeOf(action: () => unknown): string | undefined {
  try {
    action();
  } catch (error) {
    return error instanceof DomainError ? error.code : String(error);
  }
  return undefined;
}

describe('ImportProfile (#14.3)', () => {
  const sealed = { keyId: 'legacy-h-1', iv: 'iv', tag: 'tag', ciphertext: 'x' };
  const importProfile = (sourceId: string, line = 1): ProfileCommand => ({
    type: 'ImportProfile',
    data: {
      profileId: 'legacy-h-1',
      accountId: 'msa-1',
      accountType: 'personal',
      personalData: sealed,
      importedFrom: source(sourceId, 'run-1', line),
    },
  });
  const now = { now: new Date('2026-01-01T00:00:00Z') };

  it('R39: creates the profile with its source; the same source again imports nothing; another source or a live profile is refused', () => {
    const created = decideProfile(importProfile('h-1'), initialProfileState, now);
    expect(created).toEqual([
      {
        type: 'CertificationProfileCreated',
        data: expect.objectContaining({
          profileId: 'legacy-h-1',
          importedFrom: source('h-1', 'run-1', 1),
          createdAt: '2026-01-01T00:00:00.000Z',
        }),
      },
    ]);
    const state = created.reduce(evolveProfile, initialProfileState);
    expect(decideProfile(importProfile('h-1', 7), state, now)).toEqual([]);
    expect(codeOf(() => decideProfile(importProfile('h-2'), state, now))).toBe('PROFILE_EXISTS');
    const live = decideProfile(
      { type: 'CreateProfile', data: { profileId: 'legacy-h-1', accountId: 'msa-1', accountType: 'personal', personalData: sealed } },
      initialProfileState,
      now,
    ).reduce(evolveProfile, initialProfileState);
    expect(codeOf(() => decideProfile(importProfile('h-1'), live, now))).toBe('PROFILE_EXISTS');
  });
});
