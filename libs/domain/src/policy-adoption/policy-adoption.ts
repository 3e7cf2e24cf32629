import { eventList } from '@recert/kernel/pure';
import type { Decider } from '../decider';
import { DomainError } from '../errors';
import { latestEffectiveFrom, Policy, policyProblems } from '../policy';
import { policyStream } from '../streams';

/** Stream `policy-adoptions`: every policy version adopted after the shipped ones (R14), and every withdrawal (R14b). */
export type PolicyAdopted = { type: 'PolicyAdopted'; data: { policy: Policy; effectiveFrom: string; adoptedAt: string } };
/** R14b: an adoption taken back before it took effect; the version name stays used. */
export type PolicyAdoptionWithdrawn = {
  type: 'PolicyAdoptionWithdrawn';
  data: { version: string; effectiveFrom: string; reason: string; withdrawnAt: string };
};
export type PolicyAdoptionEvent = PolicyAdopted | PolicyAdoptionWithdrawn;
export const POLICY_ADOPTION_EVENTS = eventList<PolicyAdoptionEvent>({ PolicyAdopted: true, PolicyAdoptionWithdrawn: true });
export const POLICY_ADOPTION_EVENT_TYPES = POLICY_ADOPTION_EVENTS.types;

export type PolicyAdoptionState = {
  /** Every version ever adopted here, withdrawn ones included: a version name is used once. */
  versions: string[];
  /** Adopted and not withdrawn: version → effectiveFrom. */
  pending: Record<string, string>;
};
export const initialPolicyAdoptionState: PolicyAdoptionState = { versions: [], pending: {} };

export function evolvePolicyAdoption(state: PolicyAdoptionState, event: PolicyAdoptionEvent): PolicyAdoptionState {
  if (event.type === 'PolicyAdoptionWithdrawn') {
    const pending = { ...state.pending };
    delete pending[event.data.version];
    return { ...state, pending };
  }
  const { version } = event.data.policy;
  return { versions: [...state.versions, version], pending: { ...state.pending, [version]: event.data.effectiveFrom } };
}

/**
 * Adoption never rewrites history: a policy takes effect now or later (at most R14a's lead time ahead), a version is
 * adopted once, and the policy keeps R1 (which levels expire) and R14a's bounds on every duration.
 */
export function decidePolicyAdoption(
  command: { policy: Policy; knownVersions: readonly string[] },
  state: PolicyAdoptionState,
  context: { now: Date },
): PolicyAdopted[] {
  const { policy } = command;
  const effectiveFrom = Date.parse(policy.effectiveFrom);
  if (effectiveFrom < context.now.getTime()) {
    throw new DomainError(
      'VALIDATION_FAILED',
      `effectiveFrom ${policy.effectiveFrom} is in the past: a policy never applies retroactively (R14)`,
    );
  }
  const latest = latestEffectiveFrom(context.now);
  if (effectiveFrom > latest.getTime()) {
    throw new DomainError('POLICY_OUT_OF_BOUNDS', `effectiveFrom ${policy.effectiveFrom} is after ${latest.toISOString()} (R14a)`, {
      field: 'effectiveFrom',
    });
  }
  if (state.versions.includes(policy.version) || command.knownVersions.includes(policy.version)) {
    throw new DomainError('VALIDATION_FAILED', `Policy version ${policy.version} is already in force or adopted`);
  }
  const problems = policyProblems(policy);
  const r1 = problems.find((problem) => problem.rule === 'R1');
  if (r1) throw new DomainError('POLICY_CONTRADICTS_R1', `policy.${r1.field}: ${r1.message}`, { field: `policy.${r1.field}` });
  const bound = problems[0];
  if (bound) throw new DomainError('POLICY_OUT_OF_BOUNDS', `policy.${bound.field}: ${bound.message}`, { field: `policy.${bound.field}` });
  return [{ type: 'PolicyAdopted', data: { policy, effectiveFrom: policy.effectiveFrom, adoptedAt: context.now.toISOString() } }];
}

/** R14b: an adoption may be withdrawn, with a reason, only while it has not taken effect. */
export function decidePolicyAdoptionWithdrawal(
  command: { version: string; reason: string },
  state: PolicyAdoptionState,
  context: { now: Date },
): PolicyAdoptionWithdrawn[] {
  const effectiveFrom = state.pending[command.version];
  if (effectiveFrom === undefined) {
    throw new DomainError(
      'POLICY_ADOPTION_NOT_FOUND',
      `Policy version ${command.version} has no pending adoption (never adopted, shipped in POLICY_FILE, or withdrawn)`,
    );
  }
  if (Date.parse(effectiveFrom) <= context.now.getTime()) {
    throw new DomainError(
      'POLICY_ALREADY_EFFECTIVE',
      `Policy version ${command.version} took effect at ${effectiveFrom}: decisions were taken under it, it stays (R14)`,
    );
  }
  if (command.reason.trim().length === 0) throw new DomainError('VALIDATION_FAILED', 'reason: a withdrawal needs a reason');
  return [
    {
      type: 'PolicyAdoptionWithdrawn',
      data: { version: command.version, effectiveFrom, reason: command.reason, withdrawnAt: context.now.toISOString() },
    },
  ];
}
export type AdoptPolicy = { policy: Policy; knownVersions: readonly string[] };
export type WithdrawPolicyAdoption = { version: string; reason: string };
export type PolicyAdoptionCommand =
  | { type: 'AdoptPolicy'; data: AdoptPolicy }
  | { type: 'WithdrawPolicyAdoption'; data: WithdrawPolicyAdoption };

/** One stream for every adoption and withdrawal: its id is nothing. */
export const policyAdoptionDecider: Decider<void, PolicyAdoptionCommand, PolicyAdoptionState, PolicyAdoptionEvent> = {
  streamOf: () => policyStream(),
  events: POLICY_ADOPTION_EVENTS,
  initialState: initialPolicyAdoptionState,
  evolve: evolvePolicyAdoption,
  decide: (command, state, context) =>
    command.type === 'AdoptPolicy'
      ? decidePolicyAdoption(command.data, state, context)
      : decidePolicyAdoptionWithdrawal(command.data, state, context),
};
