import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Catalog, Certification } from '../../catalog';
import { PolicyBook } from '../../policy';
import { specification } from '../../testing/specification';
import type { HoldingEvent } from '../events';
import { decideHolding, HoldingCommand } from '../decide';
import type { HoldingContext } from '../rules';
import { evolveHolding, HoldingState, initialHoldingState } from '../state';

/** What the holding's use-case specs share: the repo's catalog and policy book, and commands built for a profile p1. */
const root = join(__dirname, '..', '..', '..', '..', '..', 'config');
export const catalog = Catalog.parse(JSON.parse(readFileSync(join(root, 'catalog.json'), 'utf8')));
export const policies = PolicyBook.parse(JSON.parse(readFileSync(join(root, 'policy.json'), 'utf8')));
export const cert = (code: string): Certification => catalog.get(code) as Certification;

export const spec = specification<HoldingCommand, HoldingEvent, HoldingState, HoldingContext>({
  decide: decideHolding,
  evolve: evolveHolding,
  initialState: initialHoldingState,
});

export const ctx = (now: string, code = 'azure-administrator-associate'): HoldingContext => ({
  now: new Date(now),
  policies,
  certification: cert(code),
});

export const earn = (
  earnedAt: string,
  prerequisiteActive = true,
  profileId = 'p1',
  code = 'azure-administrator-associate',
): HoldingCommand => ({
  type: 'EarnCertification',
  data: { holdingId: `${profileId}.${code}`, profileId, earnedAt: new Date(earnedAt), prerequisiteActive },
});

export const attempt = (attemptId: string, passed: boolean, language = 'en', profileLinked = true): HoldingCommand => ({
  type: 'AttemptRenewal',
  data: { attemptId, passed, score: passed ? 800 : 500, language, profileLinked },
});

/** The events of an earning, decided for real so that givens stay consistent with the decider. */
export function earned(earnedAt: string, code = 'azure-administrator-associate'): HoldingEvent[] {
  return decideHolding(earn(earnedAt, true, 'p1', code), initialHoldingState, ctx(earnedAt, code));
}

export function after(
  events: HoldingEvent[],
  command: HoldingCommand,
  now: string,
  code = 'azure-administrator-associate',
): HoldingEvent[] {
  const state = events.reduce(evolveHolding, initialHoldingState);
  return [...events, ...decideHolding(command, state, ctx(now, code))];
}
