import { DomainError } from '../errors';
import type { Policy } from '../policy';
import { decidePolicyAdoption, evolvePolicyAdoption, initialPolicyAdoptionState } from './policy-adoption';

const NOW = new Date('2026-06-01T00:00:00Z');
const policy = (version: string, effectiveFrom: string): Policy =>
  ({
    version,
    effectiveFrom,
    validity: { associate: 'P1Y', expert: 'P1Y', specialty: 'P1Y', fundamentals: null },
    window: { beforeExpiry: 'P6M' },
    extension: 'P1Y',
    retakes: { immediateAttempts: 2, cooldown: 'PT24H' },
  }) as unknown as Policy;
const refusal = (run: () => unknown): string => {
  try {
    run();
  } catch (error) {
    if (error instanceof DomainError) return `${error.code}: ${error.detail}`;
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('decidePolicyAdoption', () => {
  it('R14: a version effective now or later is adopted, with its adoption time', () => {
    const p = policy('2026-07-01', '2026-07-01T00:00:00Z');
    expect(decidePolicyAdoption({ policy: p, knownVersions: ['2021-06-30'] }, initialPolicyAdoptionState, { now: NOW })).toEqual([
      { type: 'PolicyAdopted', data: { policy: p, effectiveFrom: '2026-07-01T00:00:00Z', adoptedAt: NOW.toISOString() } },
    ]);
    const same = policy('2026-06-01', NOW.toISOString());
    expect(decidePolicyAdoption({ policy: same, knownVersions: [] }, initialPolicyAdoptionState, { now: NOW })).toHaveLength(1);
  });

  it('R14: a policy effective in the past is refused: it never applies retroactively', () => {
    const p = policy('2026-05-01', '2026-05-31T23:59:59Z');
    expect(refusal(() => decidePolicyAdoption({ policy: p, knownVersions: [] }, initialPolicyAdoptionState, { now: NOW }))).toMatch(
      /^VALIDATION_FAILED: .*retroactively/,
    );
  });

  it('R14: a version shipped in the policy file, or adopted before, is refused', () => {
    const p = policy('2026-07-01', '2026-07-01T00:00:00Z');
    expect(
      refusal(() => decidePolicyAdoption({ policy: p, knownVersions: ['2026-07-01'] }, initialPolicyAdoptionState, { now: NOW })),
    ).toMatch(/^VALIDATION_FAILED: Policy version 2026-07-01/);
    const adopted = decidePolicyAdoption({ policy: p, knownVersions: [] }, initialPolicyAdoptionState, { now: NOW }).reduce(
      evolvePolicyAdoption,
      initialPolicyAdoptionState,
    );
    expect(adopted).toEqual({ versions: ['2026-07-01'] });
    expect(refusal(() => decidePolicyAdoption({ policy: p, knownVersions: [] }, adopted, { now: NOW }))).toMatch(
      /already in force or adopted/,
    );
  });
});
