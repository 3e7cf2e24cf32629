/**
 * Error codes of the contract, in its order: when several rules refuse a command the first one answers. The domain
 * knows no HTTP: each code's status is the HTTP edge's business (libs/http error-status.ts).
 */
export const ERROR_CODES = [
  'VALIDATION_FAILED',
  'PROFILE_NOT_FOUND',
  'HOLDING_NOT_FOUND',
  'UNKNOWN_CERTIFICATION',
  'VERIFICATION_NOT_FOUND',
  'WEBHOOK_NOT_FOUND',
  'PROFILE_EXISTS',
  'PROFILE_MERGED',
  'HOLDING_REVOKED',
  'HOLDING_SUSPENDED',
  'HOLDING_NOT_SUSPENDED',
  'VERIFICATION_PRIVATE',
  'ACCOUNT_MISMATCH',
  'LEARN_PROFILE_ALREADY_LINKED',
  'PROFILE_ALREADY_LINKED',
  'MULTIPLE_PROFILES_MUST_BE_MERGED',
  'PREREQUISITE_NOT_MET',
  'EXAM_DOES_NOT_RENEW',
  'NOT_RENEWABLE',
  'CERTIFICATION_EXPIRED',
  'WINDOW_NOT_OPEN',
  'PROFILE_NOT_LINKED',
  'LANGUAGE_NOT_OFFERED',
  'RETAKE_COOLDOWN',
  'POLICY_CONTRADICTS_R1',
  'POLICY_OUT_OF_BOUNDS',
  'POLICY_ADOPTION_NOT_FOUND',
  'POLICY_ALREADY_EFFECTIVE',
  'CONCURRENCY_CONFLICT',
  // Round two (#14.1): override requests, docs/ERRORS.md.
  'FORBIDDEN',
  'OVERRIDE_NOT_FOUND',
  'OVERRIDE_NOT_APPLICABLE',
  'OVERRIDE_EXCEEDS_POLICY',
  'OVERRIDE_ALREADY_DECIDED',
  'OVERRIDE_REQUEST_EXPIRED',
  // Round two (#14.3): bulk import, R39-R42.
  'HOLDING_EXISTS',
  'EXPIRY_BEYOND_POLICY',
  // Round three (#22.2): webhook targets, R51.
  'WEBHOOK_TARGET_REFUSED',
  // Round three (#29): a one-click unsubscribe link not minted here, R81.
  'UNSUBSCRIBE_LINK_NOT_FOUND',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

export const ERROR_TITLES: Record<ErrorCode, string> = {
  VALIDATION_FAILED: 'The request is malformed',
  PROFILE_NOT_FOUND: 'No such certification profile',
  HOLDING_NOT_FOUND: 'The profile does not hold this certification',
  UNKNOWN_CERTIFICATION: 'No such certification in the catalog',
  VERIFICATION_NOT_FOUND: 'No public verification with this id',
  WEBHOOK_NOT_FOUND: 'No such webhook endpoint or delivery',
  PROFILE_EXISTS: 'A certification profile with this id exists',
  PROFILE_MERGED: 'The profile was merged into another and refuses every command',
  HOLDING_REVOKED: 'The certification was revoked: earn it again by passing the exam',
  HOLDING_SUSPENDED: 'The certification is suspended',
  HOLDING_NOT_SUSPENDED: 'The certification is not suspended',
  VERIFICATION_PRIVATE: 'The holder made this verification private: make it public to share it',
  ACCOUNT_MISMATCH: 'The learn profile does not use the same personal account',
  LEARN_PROFILE_ALREADY_LINKED: 'The learn profile is linked to another certification profile',
  PROFILE_ALREADY_LINKED: 'The certification profile is linked to another learn profile',
  MULTIPLE_PROFILES_MUST_BE_MERGED: 'The account owns several active profiles: support must merge them first',
  PREREQUISITE_NOT_MET: 'No prerequisite certification is held and active',
  EXAM_DOES_NOT_RENEW: 'Passing an exam does not renew an active certification',
  NOT_RENEWABLE: 'This certification never expires and cannot be renewed',
  CERTIFICATION_EXPIRED: 'The certification has expired: earn it again by passing the exam',
  WINDOW_NOT_OPEN: 'The renewal window is not open',
  PROFILE_NOT_LINKED: 'The certification profile is not linked to a learn profile',
  LANGUAGE_NOT_OFFERED: 'The renewal assessment is not offered in this language',
  RETAKE_COOLDOWN: 'The next attempt must wait for the retake cooldown',
  POLICY_CONTRADICTS_R1: 'The policy would make fundamentals expire or another level never expire (R1)',
  POLICY_OUT_OF_BOUNDS: 'A duration or date of the policy is outside the supported bounds (R14a)',
  POLICY_ADOPTION_NOT_FOUND: 'No pending adoption of this policy version',
  POLICY_ALREADY_EFFECTIVE: 'The adopted policy is already in force: it can no longer be withdrawn',
  CONCURRENCY_CONFLICT: 'The record changed under this request too often; try again',
  FORBIDDEN: 'The token does not allow this',
  OVERRIDE_NOT_FOUND: 'No such override request',
  OVERRIDE_NOT_APPLICABLE: 'The override does not apply to the holding as it stands',
  OVERRIDE_EXCEEDS_POLICY: 'The override goes beyond what the policy allows',
  OVERRIDE_ALREADY_DECIDED: 'The override request was decided already',
  OVERRIDE_REQUEST_EXPIRED: 'The override request expired unapproved',
  HOLDING_EXISTS: 'The profile holds this certification already, not from this import source',
  EXPIRY_BEYOND_POLICY: 'The imported expiry is later than the policy gives for this history',
  WEBHOOK_TARGET_REFUSED: 'The webhook URL names a loopback, private or otherwise non-public address (R51)',
  UNSUBSCRIBE_LINK_NOT_FOUND: 'No such unsubscribe link',
};

export function firstInContractOrder(codes: readonly ErrorCode[]): ErrorCode | undefined {
  return [...codes].sort((a, b) => ERROR_CODES.indexOf(a) - ERROR_CODES.indexOf(b))[0];
}

/** A rule refused a command. Deciders throw it; the HTTP edge maps it to problem+json. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    readonly detail: string,
    readonly extensions: Record<string, string | number | boolean> = {},
  ) {
    super(`${code}: ${detail}`);
    this.name = 'DomainError';
  }
}
