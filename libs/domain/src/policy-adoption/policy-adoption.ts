import type { Decider } from '../decider';
import { DomainError } from '../errors';
import { policyStream } from '../streams';
import type { Policy } from '../policy';

/** Stream `policy-adoptions`: every policy version adopted after the shipped ones (R14). */
export type PolicyAdopted = { type: 'PolicyAdopted'; data: { policy: Policy; effectiveFrom: string; adoptedAt: string } };
export type PolicyAdoptionState = { versions: string[] };
export const initialPolicyAdoptionState: PolicyAdoptionState = { versions: [] };

export function evolvePolicyAdoption(state: PolicyAdoptionState, event: PolicyAdopted): PolicyAdoptionState {
  return { versions: [...state.versions, event.data.policy.version] };
}

/** Adoption never rewrites history: a policy takes effect now or later, and a version is adopted once. */
export function decidePolicyAdoption(
  command: { policy: Policy; knownVersions: readonly string[] },
  state: PolicyAdoptionState,
  context: { now: Date },
): PolicyAdopted[] {
  const { policy } = command;
  if (Date.parse(policy.effectiveFrom) < context.now.getTime()) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `effectiveFrom ${policy.effectiveFrom} is in the past: a policy never applies retroactively (R14)`,
    );
  }
  if (state.versions.includes(policy.version) || command.knownVersions.includes(policy.version)) {
    throw new DomainError('VALIDATION_FAILED', `Policy version ${policy.version} is already in force or adopted`);
  }
  return [{ type: 'PolicyAdopted', data: { policy, effectiveFrom: policy.effectiveFrom, adoptedAt: context.now.toISOString() } }];
}

export type AdoptPolicy = { policy: Policy; knownVersions: readonly string[] };

/** One stream for every adoption: its id is nothing. */
export const policyAdoptionDecider: Decider<void, AdoptPolicy, PolicyAdoptionState, PolicyAdopted> = {
  streamOf: () => policyStream(),
  initialState: initialPolicyAdoptionState,
  evolve: evolvePolicyAdoption,
  decide: decidePolicyAdoption,
};
