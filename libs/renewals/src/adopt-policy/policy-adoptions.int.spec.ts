import { eventList, EventStore, EventStoreUnavailableError, SqliteEventStore } from '@recert/eventstore';
import { ManualClock } from '@recert/kernel';
import { StreamCommands } from '../command-handling/stream-commands';
import { Decider, PolicyBook, policyStream } from '@recert/domain';
import { PolicyRegistry } from '../renewals.tokens';
import { PolicyAdoptions } from './policy-adoptions.service';

describe('policy adoptions while the store is unreachable', () => {
  afterEach(() => jest.useRealTimers());

  it('R14: start-up does not fail; commands are refused (503) until the adopted versions are loaded, then decide with them', async () => {
    jest.useFakeTimers({ doNotFake: ['setImmediate', 'nextTick'] });
    const real = new SqliteEventStore({ file: ':memory:' });
    const base = {
      version: '2020-12-15',
      effectiveFrom: '2020-12-15T00:00:00.000Z',
      validity: { associate: 'P2Y', expert: 'P2Y', specialty: 'P2Y', fundamentals: null },
      window: { beforeExpiry: 'P6M' },
      extension: 'P1Y',
      retakes: { immediateAttempts: 2, cooldown: 'PT24H' },
    };
    await real.append(
      policyStream(),
      [
        {
          id: '22222222-2222-4222-8222-222222222222',
          type: 'PolicyAdopted',
          data: {
            policy: { ...base, version: 'adopted-1', effectiveFrom: '2027-01-01T00:00:00.000Z' },
            effectiveFrom: '2027-01-01T00:00:00.000Z',
            adoptedAt: '2026-01-01T00:00:00.000Z',
          },
          metadata: { correlationId: 'c', causationId: 'c', actor: 'admin', occurredAt: '2026-01-01T00:00:00.000Z' },
        },
      ],
      { expectedRevision: 'no_stream' },
    );
    let up = false;
    const down = (): Promise<never> => Promise.reject(new EventStoreUnavailableError('EventStoreDB: unavailable'));
    const flaky: EventStore = new Proxy(real, {
      get: (target, property, receiver) => {
        if (!up && (property === 'headPosition' || property === 'readStream')) return down;
        const value = Reflect.get(target, property, receiver) as unknown;
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const registry = new PolicyRegistry(new PolicyBook([base as never]));
    const adoptions = new PolicyAdoptions(flaky, registry);
    await expect(adoptions.onModuleInit()).resolves.toBeUndefined();
    expect(adoptions.loaded).toBe(false);

    const commands = new StreamCommands(flaky, new ManualClock(new Date('2026-01-01T00:00:00Z')), adoptions);
    const counter: Decider<null, null, number, { type: 'Counted'; data: Record<string, never> }> = {
      streamOf: () => 'counter-1',
      events: eventList({ Counted: true }),
      initialState: 0,
      evolve: (s) => s + 1,
      decide: () => [{ type: 'Counted', data: {} }],
    };
    const meta = { commandId: 'c', correlationId: 'c', causationId: 'c', actor: 't' };
    await expect(commands.handle(counter, null, null, meta)).rejects.toBeInstanceOf(EventStoreUnavailableError);

    up = true;
    await jest.advanceTimersByTimeAsync(5000);
    expect(adoptions.loaded).toBe(true);
    expect(registry.book().byVersion('adopted-1')).toBeDefined();
    await expect(commands.handle(counter, null, null, meta)).resolves.toMatchObject({ state: 1 });
    // The live subscription waits on (fake) timers: let them run while it stops.
    const stopping = adoptions.onApplicationShutdown();
    await jest.advanceTimersByTimeAsync(500);
    await stopping;
    const closing = real.close();
    await jest.advanceTimersByTimeAsync(500);
    await closing;
  });
});
