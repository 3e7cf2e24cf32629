/** One holding an override applies to. */
export interface OverrideTargetRef {
  profileId: string;
  certificationCode: string;
}

/**
 * R28: where a bulk override finds its holdings. A port, implemented by the holdings read model (projections sit
 * above this lib): the holdings of `certificationCode`, not merged out, whose expiry lies in [from, to], plus those
 * this very override already extended (their expiry moved out of the range: a resumed run must still see them), in
 * one stable order (profile, code), read after the model caught up with the log.
 */
export interface OverrideTargets {
  holdingsMatching(filter: { certificationCode: string; from: Date; to: Date }, overrideId: string | null): Promise<OverrideTargetRef[]>;
}

export const OVERRIDE_TARGETS = Symbol('OVERRIDE_TARGETS');
