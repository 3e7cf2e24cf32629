import { AppendResult, eventList, ExpectedRevision, NewEvent, SqliteEventStore } from '@recert/eventstore';
import { ManualClock } from '@recert/kernel';
import { Decider, DomainError } from '@recert/domain';
import { MAX_CONFLICT_RETRIES, StreamCommands } from './stream-commands';

type Counter = { count: number };
type Counted = { type: 'Counted'; data: { n: number } };

/** A store where another writer always gets in first: every append of ours meets a moved stream. */
class ContendedStore extends SqliteEventStore {
  attempts = 0;
  override async append(
    stream: string,
    events: readonly NewEvent[],
    options: { expectedRevision: ExpectedRevision },
  ): Promise<AppendResult> {
    if (stream.startsWith('contended-')) {
      this.attempts += 1;
      const last = await this.readStream(stream, { direction: 'backwards', maxCount: 1 });
      await super.append(
        stream,
        [{ ...(events[0] as NewEvent), id: `00000000-0000-4000-8000-${String(this.attempts).padStart(12, '0')}` }],
        {
          expectedRevision: last[0] ? last[0].revision : 'no_stream',
        },
      );
    }
    return super.append(stream, events, options);
  }
}

describe('the command loop (read, decide, append with expected revision, retry)', () => {
  const meta = { commandId: 'cmd-1', correlationId: 'c', causationId: 'c', actor: 'test' };
  // A decider whose id is its stream: each command counts once more.
  const counter: Decider<string, null, Counter, Counted> = {
    streamOf: (stream) => stream,
    events: eventList({ Counted: true }),
    initialState: { count: 0 },
    evolve: (state) => ({ count: state.count + 1 }),
    decide: (_command, state) => [{ type: 'Counted', data: { n: state.count } }],
  };

  it('CONCURRENCY_CONFLICT (API.md): retries a few times, then answers CONCURRENCY_CONFLICT having stored nothing of its own', async () => {
    const store = new ContendedStore({ file: ':memory:' });
    const commands = new StreamCommands(store, new ManualClock(new Date('2026-01-01T00:00:00Z')));
    const error = await commands.handle(counter, 'contended-1', null, meta).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('CONCURRENCY_CONFLICT');
    expect(store.attempts).toBe(MAX_CONFLICT_RETRIES + 1);
    const stored = await store.readStream('contended-1');
    // Only the competing writer's events: one per try, none of ours.
    expect(stored.every((event) => event.id.startsWith('00000000-0000-4000-8000-'))).toBe(true);
    await store.close();
  });

  it('a clash followed by a quiet stream succeeds on the retry, deciding again on the new state', async () => {
    const store = new SqliteEventStore({ file: ':memory:' });
    const commands = new StreamCommands(store, new ManualClock(new Date('2026-01-01T00:00:00Z')));
    const realAppend = store.append.bind(store);
    let first = true;
    jest.spyOn(store, 'append').mockImplementation(async (stream, events, options) => {
      if (first) {
        first = false;
        await realAppend(stream, [{ ...(events[0] as NewEvent), id: '00000000-0000-4000-8000-000000000001' }], { expectedRevision: 'any' });
      }
      return realAppend(stream, events, options);
    });
    const outcome = await commands.handle(counter, 'quiet-1', null, meta);
    expect(outcome.state).toEqual({ count: 2 });
    expect((await store.readStream('quiet-1')).map((e) => e.data['n'])).toEqual([0, 1]);
    await store.close();
  });
});
