import { createTestDatabase, describeWithPostgres } from '../../../../test/support/postgres';
import { PostgresSharedState } from './postgres-shared-state';
import { sharedStateContract } from './testing/shared-state.contract';

describeWithPostgres('shared state on PostgreSQL', () => {
  let database: { url: string; drop: () => Promise<void> } | undefined;
  afterAll(async () => database?.drop(), 30_000);
  sharedStateContract(async () => {
    database ??= await createTestDatabase('recert_shared_state');
    return PostgresSharedState.open(database.url);
  });
});
