import { addDuration, Duration, isDuration, parseDuration, subtractDuration } from '@recert/kernel/pure';
import type { Level } from './catalog';
import { DomainError } from './errors';
import { parseReminderOffsets } from './reminders/reminder-offsets';

/** One version of the renewal policy: data, never code (R14). */
// A type, not an interface: it is stored as JSON in PolicyAdopted, and only a type is checked as a JSON object.
export type Policy = {
  version: string;
  effectiveFrom: string;
  validity: Record<Level, string | null>;
  window: { beforeExpiry: string };
  extension: string;
  retakes: { immediateAttempts: number; cooldown: string };
  /** Reminder offsets before expiry (#14.4, R30): `window-opens` or ISO 8601 durations; absent, none. */
  reminders?: string[];
};

/** The policy versions in force over time; a decision takes the one in force at its domain time. */
export class PolicyBook {
  readonly versions: readonly Policy[];
  /** Newest first, with instants and window durations parsed once: projections ask for windows per event. */
  private readonly newestFirst: { policy: Policy; from: number; beforeExpiry: Duration }[];

  constructor(versions: readonly Policy[]) {
    if (versions.length === 0) throw new Error('At least one policy version is needed');
    this.versions = [...versions].sort((a, b) => Date.parse(a.effectiveFrom) - Date.parse(b.effectiveFrom));
    this.newestFirst = [...this.versions]
      .reverse()
      .map((policy) => ({ policy, from: Date.parse(policy.effectiveFrom), beforeExpiry: parseDuration(policy.window.beforeExpiry) }));
  }

  /** The version in force at `instant`, or undefined before the first one took effect. */
  inForceAt(instant: Date): Policy | undefined {
    let found: Policy | undefined;
    for (const policy of this.versions) {
      if (Date.parse(policy.effectiveFrom) <= instant.getTime()) found = policy;
      else break;
    }
    return found;
  }

  /** Like inForceAt, falling back to the first version for instants before it (windows of old holdings). */
  atOrFirst(instant: Date): Policy {
    return this.inForceAt(instant) ?? (this.versions[0] as Policy);
  }

  earliest(): Policy {
    return this.versions[0] as Policy;
  }

  byVersion(version: string): Policy | undefined {
    return this.versions.find((policy) => policy.version === version);
  }

  /** A new book without `version` (a withdrawn adoption, R14b); the shipped versions stay. */
  without(version: string): PolicyBook {
    if (!this.byVersion(version) || this.versions.length === 1) return this;
    return new PolicyBook(this.versions.filter((policy) => policy.version !== version));
  }

  /** A new book with `policy` added (adoption); a version may be adopted once. */
  with(policy: Policy): PolicyBook {
    if (this.byVersion(policy.version)) return this;
    return new PolicyBook([...this.versions, policy]);
  }

  /**
   * When the renewal window of a holding expiring at `expiresAt` opens (R3): `beforeExpiry` of the policy in
   * force at the moment the window opens. Newest first: the first version that is in force at the instant its
   * own rule gives wins.
   */
  windowOpensAt(expiresAt: Date): { opensAt: Date; policy: Policy } {
    const last = this.newestFirst.length - 1;
    for (let i = 0; i <= last; i += 1) {
      const entry = this.newestFirst[i] as (typeof this.newestFirst)[number];
      const opensAt = subtractDuration(expiresAt, entry.beforeExpiry);
      // In force at opensAt: took effect by then and no newer version did (the oldest also covers earlier instants).
      const newer = this.newestFirst[i - 1];
      const inForce = (opensAt.getTime() >= entry.from || i === last) && (!newer || opensAt.getTime() < newer.from);
      if (inForce) return { opensAt, policy: entry.policy };
    }
    const policy = this.atOrFirst(expiresAt);
    return { opensAt: subtractDuration(expiresAt, policy.window.beforeExpiry), policy };
  }

  /** A policy book from its JSON (the policy file's content); `source` names it in messages. */
  static parse(raw: unknown, source = 'policy'): PolicyBook {
    if (!Array.isArray(raw)) throw new Error(`${source}: the policy file must be a JSON array of versions`);
    return new PolicyBook(
      raw.map((item: unknown, index) => {
        const policy = parsePolicy(item, `${source}[${index}]`);
        // The shipped file is held to the same bounds as an adoption (R1, R14a): a bad file stops start-up.
        const problem = policyProblems(policy)[0];
        if (problem) throw new Error(`${source}[${index}].${problem.field}: ${problem.message}`);
        return policy;
      }),
    );
  }
}

/** Checks a policy version given as JSON (file or adoption request); throws with the field at fault. */
export function parsePolicy(raw: unknown, where = 'policy'): Policy {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new Error(`${where}: an object is required`);
  const p = raw as Record<string, unknown>;
  const duration = (value: unknown, field: string): string => {
    if (typeof value !== 'string' || !isDuration(value)) throw new Error(`${where}.${field}: an ISO 8601 duration is required`);
    return value;
  };
  if (typeof p['version'] !== 'string' || p['version'].length === 0 || p['version'].length > 64) {
    throw new Error(`${where}.version: a string of 1 to 64 characters is required`);
  }
  if (typeof p['effectiveFrom'] !== 'string' || Number.isNaN(Date.parse(p['effectiveFrom']))) {
    throw new Error(`${where}.effectiveFrom: an ISO 8601 instant is required`);
  }
  const validity = p['validity'] as Record<string, unknown> | undefined;
  if (typeof validity !== 'object' || validity === null) throw new Error(`${where}.validity: an object is required`);
  const levels = ['fundamentals', 'associate', 'expert', 'specialty'] as const;
  const parsedValidity = {} as Record<Level, string | null>;
  for (const level of levels) {
    const value = validity[level];
    parsedValidity[level] = value === null || value === undefined ? null : duration(value, `validity.${level}`);
  }
  const window = p['window'] as Record<string, unknown> | undefined;
  const retakes = p['retakes'] as Record<string, unknown> | undefined;
  if (typeof window !== 'object' || window === null) throw new Error(`${where}.window: an object is required`);
  if (typeof retakes !== 'object' || retakes === null) throw new Error(`${where}.retakes: an object is required`);
  const immediate = retakes['immediateAttempts'];
  if (typeof immediate !== 'number' || !Number.isInteger(immediate) || immediate < 1 || immediate > 100) {
    throw new Error(`${where}.retakes.immediateAttempts: a whole number from 1 to 100 is required`);
  }
  return {
    version: p['version'],
    effectiveFrom: new Date(p['effectiveFrom']).toISOString(),
    validity: parsedValidity,
    window: { beforeExpiry: duration(window['beforeExpiry'], 'window.beforeExpiry') },
    extension: duration(p['extension'], 'extension'),
    retakes: { immediateAttempts: immediate, cooldown: duration(retakes['cooldown'], 'retakes.cooldown') },
    ...(p['reminders'] === undefined ? {} : { reminders: parseReminderOffsets(p['reminders'], `${where}.reminders`) }),
  };
}

/**
 * R14a: the bounds every policy version must keep, so that no date a policy can produce falls outside what recert
 * stores and compares (ISO 8601 instants with a four-digit year). Durations are measured nominally (a year is
 * 365.2425 days, a month a twelfth of it), so the bound never depends on the date it is applied to.
 */
export const POLICY_BOUNDS = {
  /** validity of an expiring level and extension: at least a day, at most ten years. */
  minTerm: 'P1D',
  maxTerm: 'P10Y',
  /** window.beforeExpiry: at least a day, and no longer than the shortest validity (else it opens before earning). */
  minWindow: 'P1D',
  /** retakes.cooldown: from none to 90 days. */
  maxCooldown: 'P90D',
  /** effectiveFrom: at most ten years after the adoption. */
  maxLeadTime: 'P10Y',
} as const;

const DAY_MS = 86_400_000;
const YEAR_MS = 365.2425 * DAY_MS;

/** A duration's nominal length in milliseconds (Infinity when its numbers overflow). */
export function nominalMs(duration: string | Duration): number {
  const d = typeof duration === 'string' ? parseDuration(duration) : duration;
  const ms = (d.years + d.months / 12) * YEAR_MS + (d.weeks * 7 + d.days) * DAY_MS + ((d.hours * 60 + d.minutes) * 60 + d.seconds) * 1000;
  return Number.isFinite(ms) ? ms : Infinity;
}

/** What makes a policy version unusable: breaking R1, or a duration outside R14a's bounds. Empty when sound. */
export function policyProblems(policy: Policy): { field: string; rule: 'R1' | 'R14a'; message: string }[] {
  const problems: { field: string; rule: 'R1' | 'R14a'; message: string }[] = [];
  const term = (field: string, value: string): void => {
    const ms = nominalMs(value);
    if (ms < nominalMs(POLICY_BOUNDS.minTerm) || ms > nominalMs(POLICY_BOUNDS.maxTerm))
      problems.push({ field, rule: 'R14a', message: `${value} is outside ${POLICY_BOUNDS.minTerm}..${POLICY_BOUNDS.maxTerm}` });
  };
  if (policy.validity.fundamentals !== null)
    problems.push({ field: 'validity.fundamentals', rule: 'R1', message: 'fundamentals never expire (R1): use null' });
  const expiring = (['associate', 'expert', 'specialty'] as const).map((level) => ({ level, value: policy.validity[level] }));
  for (const { level, value } of expiring) {
    if (value === null)
      problems.push({ field: `validity.${level}`, rule: 'R1', message: `${level} certifications expire (R1): a duration is required` });
    else term(`validity.${level}`, value);
  }
  term('extension', policy.extension);
  const shortest = Math.min(...expiring.map(({ value }) => (value === null ? Infinity : nominalMs(value))));
  const window = nominalMs(policy.window.beforeExpiry);
  if (window < nominalMs(POLICY_BOUNDS.minWindow) || window > shortest)
    problems.push({
      field: 'window.beforeExpiry',
      rule: 'R14a',
      message: `${policy.window.beforeExpiry} must be at least ${POLICY_BOUNDS.minWindow} and no longer than the shortest validity`,
    });
  if (nominalMs(policy.retakes.cooldown) > nominalMs(POLICY_BOUNDS.maxCooldown))
    problems.push({
      field: 'retakes.cooldown',
      rule: 'R14a',
      message: `${policy.retakes.cooldown} is longer than ${POLICY_BOUNDS.maxCooldown}`,
    });
  return problems;
}

/** R14a: the latest effectiveFrom an adoption decided at `now` may name. */
export function latestEffectiveFrom(now: Date): Date {
  return addDuration(now, POLICY_BOUNDS.maxLeadTime);
}

/** The instants recert stores and compares: four-digit years (ISO 8601 without the expanded-year form). */
const SUPPORTED_UNTIL = Date.UTC(10_000, 0, 1);

/**
 * `instant` moved by a policy duration (R2, R5, R8), refused with POLICY_OUT_OF_BOUNDS when the result leaves the
 * supported range: a policy stored before R14a's bounds existed answers a 4xx, never a crash on an invalid date.
 */
export function policyInstant(instant: Date, duration: string, policy: Policy, field: string): Date {
  const moved = addDuration(instant, duration);
  if (Number.isNaN(moved.getTime()) || moved.getTime() >= SUPPORTED_UNTIL || moved.getTime() < 0) {
    throw new DomainError(
      'POLICY_OUT_OF_BOUNDS',
      `policy ${policy.version} ${field} ${duration} from ${instant.toISOString()} leaves the supported dates (R14a)`,
    );
  }
  return moved;
}
