import { Duration, isDuration, parseDuration, subtractDuration } from '@recert/kernel/pure';
import type { Level } from './catalog';
import { parseReminderOffsets } from './reminders/reminder-offsets';

/** One version of the renewal policy: data, never code (R14). */
export interface Policy {
  version: string;
  effectiveFrom: string;
  validity: Record<Level, string | null>;
  window: { beforeExpiry: string };
  extension: string;
  retakes: { immediateAttempts: number; cooldown: string };
  /** Reminder offsets before expiry (#14.4, R30): `window-opens` or ISO 8601 durations; absent, none. */
  reminders?: string[];
}

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
    return new PolicyBook(raw.map((item: unknown, index) => parsePolicy(item, `${source}[${index}]`)));
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
  if (parsedValidity.fundamentals !== null) throw new Error(`${where}.validity.fundamentals: fundamentals never expire (R1), use null`);
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
