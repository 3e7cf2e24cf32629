import { DomainError } from '../errors';
import type { Policy } from '../policy';
import { PolicyBook } from '../policy';
import {
  decidePolicyAdoption,
  decidePolicyAdoptionWithdrawal,
  evolvePolicyAdoption,
  initialPolicyAdoptionState,
  PolicyAdoptionEvent,
  PolicyAdoptionState,
} from './policy-adoption';

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
    expect(adopted).toEqual({ versions: ['2026-07-01'], pending: { '2026-07-01': '2026-07-01T00:00:00Z' } });
    expect(refusal(() => decidePolicyAdoption({ policy: p, knownVersions: [] }, adopted, { now: NOW }))).toMatch(
      /already in force or adopted/,
    );
  });
});

const adopt = (p: Policy): PolicyAdoptionEvent[] =>
  decidePolicyAdoption({ policy: p, knownVersions: [] }, initialPolicyAdoptionState, { now: NOW });
const withValidity = (validity: Record<string, unknown>): Policy =>
  ({ ...policy('v', '2026-07-01T00:00:00Z'), validity: { ...policy('v', NOW.toISOString()).validity, ...validity } }) as Policy;

describe('decidePolicyAdoption: R1 and R14a bounds (#16.7)', () => {
  it('#16.7 R1: an expiring level without a validity, or fundamentals with one, is refused with POLICY_CONTRADICTS_R1', () => {
    expect(refusal(() => adopt(withValidity({ associate: null })))).toMatch(
      /^POLICY_CONTRADICTS_R1: policy\.validity\.associate: associate/,
    );
    expect(refusal(() => adopt(withValidity({ specialty: null })))).toMatch(/^POLICY_CONTRADICTS_R1: policy\.validity\.specialty/);
    expect(refusal(() => adopt(withValidity({ fundamentals: 'P1Y' })))).toMatch(/^POLICY_CONTRADICTS_R1: policy\.validity\.fundamentals/);
  });

  it('#16.7 R14a: a validity over P10Y (P999999999Y, the finding) or under a day is refused with POLICY_OUT_OF_BOUNDS', () => {
    for (const associate of ['P999999999Y', 'P10Y1D', 'P121M', 'P3653D', 'PT87660H', 'PT0S', 'PT23H'])
      expect(refusal(() => adopt(withValidity({ associate })))).toMatch(/^POLICY_OUT_OF_BOUNDS: policy\.validity\.associate/);
    // Numbers too large for a double are out of bounds too, never a crash.
    expect(refusal(() => adopt(withValidity({ expert: `P${'9'.repeat(400)}Y` })))).toMatch(/^POLICY_OUT_OF_BOUNDS/);
    // The bounds themselves are allowed.
    expect(adopt(withValidity({ associate: 'P10Y', expert: 'P120M', specialty: 'P6M' }))).toHaveLength(1);
  });

  it('#16.7 R14a: extension, window and cooldown are bounded; the window never outlasts the shortest validity', () => {
    const base = policy('v', '2026-07-01T00:00:00Z');
    const refused = (change: Partial<Record<keyof Policy, unknown>>): string => refusal(() => adopt({ ...base, ...change } as Policy));
    expect(refused({ extension: 'P11Y' })).toMatch(/^POLICY_OUT_OF_BOUNDS: policy\.extension/);
    expect(refused({ extension: 'PT1H' })).toMatch(/^POLICY_OUT_OF_BOUNDS: policy\.extension/);
    expect(refused({ window: { beforeExpiry: 'P13M' } })).toMatch(/^POLICY_OUT_OF_BOUNDS: policy\.window\.beforeExpiry/);
    expect(refused({ window: { beforeExpiry: 'PT1M' } })).toMatch(/^POLICY_OUT_OF_BOUNDS: policy\.window\.beforeExpiry/);
    expect(refused({ retakes: { immediateAttempts: 2, cooldown: 'P91D' } })).toMatch(/^POLICY_OUT_OF_BOUNDS: policy\.retakes\.cooldown/);
    expect(adopt({ ...base, window: { beforeExpiry: 'P1Y' }, retakes: { immediateAttempts: 2, cooldown: 'PT0S' } })).toHaveLength(1);
  });

  it('#16.7 R14a: effectiveFrom at most ten years ahead', () => {
    expect(refusal(() => adopt(policy('far', '2036-06-01T00:00:01Z')))).toMatch(/^POLICY_OUT_OF_BOUNDS: effectiveFrom/);
    expect(adopt(policy('ten', '2036-06-01T00:00:00Z'))).toHaveLength(1);
  });

  it('#16.7 R14a: the shipped policy file is held to the same bounds', () => {
    const { version: _v, effectiveFrom: _e, ...rest } = policy('x', NOW.toISOString());
    expect(() =>
      PolicyBook.parse([{ ...rest, version: 'f', effectiveFrom: '2020-01-01T00:00:00Z', validity: { ...rest.validity, associate: null } }]),
    ).toThrow(/policy\[0\]\.validity\.associate: associate certifications expire \(R1\)/);
  });
});

describe('decidePolicyAdoptionWithdrawal (#16.7, R14b)', () => {
  const adopted = (effectiveFrom: string): PolicyAdoptionState =>
    decidePolicyAdoption({ policy: policy('2026-07-01', effectiveFrom), knownVersions: [] }, initialPolicyAdoptionState, {
      now: NOW,
    }).reduce(evolvePolicyAdoption, initialPolicyAdoptionState);

  it('#16.7 R14b: a pending adoption is withdrawn with its reason; the version name stays used', () => {
    const state = adopted('2026-07-01T00:00:00Z');
    const events = decidePolicyAdoptionWithdrawal({ version: '2026-07-01', reason: 'wrong extension' }, state, { now: NOW });
    expect(events).toEqual([
      {
        type: 'PolicyAdoptionWithdrawn',
        data: { version: '2026-07-01', effectiveFrom: '2026-07-01T00:00:00Z', reason: 'wrong extension', withdrawnAt: NOW.toISOString() },
      },
    ]);
    const after = events.reduce(evolvePolicyAdoption, state);
    expect(after).toEqual({ versions: ['2026-07-01'], pending: {} });
    expect(refusal(() => decidePolicyAdoptionWithdrawal({ version: '2026-07-01', reason: 'again' }, after, { now: NOW }))).toMatch(
      /^POLICY_ADOPTION_NOT_FOUND/,
    );
    expect(
      refusal(() => decidePolicyAdoption({ policy: policy('2026-07-01', '2026-08-01T00:00:00Z'), knownVersions: [] }, after, { now: NOW })),
    ).toMatch(/already in force or adopted/);
  });

  it('#16.7 R14b: refused once effective (at effectiveFrom exactly), for unknown versions, and without a reason', () => {
    const state = adopted('2026-07-01T00:00:00Z');
    const at = new Date('2026-07-01T00:00:00Z');
    expect(refusal(() => decidePolicyAdoptionWithdrawal({ version: '2026-07-01', reason: 'late' }, state, { now: at }))).toMatch(
      /^POLICY_ALREADY_EFFECTIVE/,
    );
    expect(refusal(() => decidePolicyAdoptionWithdrawal({ version: '2021-06-30', reason: 'shipped' }, state, { now: NOW }))).toMatch(
      /^POLICY_ADOPTION_NOT_FOUND/,
    );
    expect(refusal(() => decidePolicyAdoptionWithdrawal({ version: '2026-07-01', reason: '  ' }, state, { now: NOW }))).toMatch(
      /^VALIDATION_FAILED/,
    );
  });

  it('#16.7 R14b: a book without the withdrawn version decides as before it was adopted', () => {
    const shipped = policy('2021-06-30', '2021-06-30T00:00:00Z');
    const book = new PolicyBook([shipped]).with(policy('2026-07-01', '2026-07-01T00:00:00Z'));
    expect(book.without('2026-07-01').versions).toEqual([shipped]);
    expect(book.without('2021-06-30').without('2026-07-01')).toBeInstanceOf(PolicyBook);
  });
});
