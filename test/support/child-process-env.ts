import { SqliteEventStore } from '@recert/eventstore';

/** A child process's required setting. */
export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is required`);
  return value;
}

/** The embedded store of EVENTS_FILE, its reads slowed by READ_DELAY_MS (a slow disk), so a spec can act mid-rebuild. */
export function slowedEventStore(): SqliteEventStore {
  const store = new SqliteEventStore({ file: requiredEnv('EVENTS_FILE'), synchronous: 'NORMAL', pollIntervalMs: 10 });
  const delayMs = Number(process.env['READ_DELAY_MS'] ?? 0);
  const readAll = store.readAll.bind(store);
  store.readAll = async (options) => {
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    return readAll(options);
  };
  return store;
}
