import type { Certification, HoldingContext, PolicyBook } from '@recert/domain';
import type { HandleOptions } from './stream-commands';

/** What the holding decider needs besides state and clock: the catalog entry, and the policy book read again on each retry. */
export function holdingDeps(certification: Certification, policies: { book(): PolicyBook }): HandleOptions<Omit<HoldingContext, 'now'>> {
  return { deps: () => ({ policies: policies.book(), certification }) };
}
