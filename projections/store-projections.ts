import { holderMessagesStoreProjection } from './outbox/holder-messages.projection';
import { outboxStoreProjection } from './outbox/outbox.projection';
import { RenewalOutcomesStoreProjection } from './renewal-outcomes/renewal-outcomes.projection';
import type { PersonSearchIndex } from './roster/person-search';
import type { StoreProjection } from './runtime/store-projection-runner';

/**
 * The read models the PostgreSQL mode projects through the read-store port (#23.1), each under its projector lease:
 * every model but the holdings generations, which the holdings model adds (it knows the policy book). The person
 * search index is the process's own instance (it keys terms with the vault's key and serves searches).
 */
export function storeProjections(deps: { personSearch: PersonSearchIndex }): StoreProjection[] {
  return [outboxStoreProjection(), holderMessagesStoreProjection(), new RenewalOutcomesStoreProjection(), deps.personSearch];
}
