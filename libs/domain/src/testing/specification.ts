import { DomainError, ErrorCode } from '../errors';

/**
 * Given/when/then for deciders: given these events, when this command, then these events, or this error.
 * Jest only: lives beside the domain so specs of every aggregate share it.
 */
export interface Decider<Command, Event, State, Context> {
  decide(command: Command, state: State, context: Context): Event[];
  evolve(state: State, event: Event): State;
  initialState: State;
}

export function specification<Command, Event, State, Context>(decider: Decider<Command, Event, State, Context>) {
  return {
    given(events: Event[]) {
      const state = events.reduce((current, event) => decider.evolve(current, event), decider.initialState);
      return {
        state,
        when(command: Command, context: Context) {
          const run = (): Event[] => decider.decide(command, state, context);
          return {
            then(expected: Event[]): Event[] {
              const actual = run();
              expect(actual).toEqual(expected);
              return actual;
            },
            thenMatches(expected: Partial<Record<string, unknown>>[]): Event[] {
              const actual = run();
              expect(actual).toMatchObject(expected);
              expect(actual).toHaveLength(expected.length);
              return actual;
            },
            thenNothing(): void {
              expect(run()).toEqual([]);
            },
            thenThrows(code: ErrorCode, extensions?: Record<string, unknown>): DomainError {
              let caught: unknown;
              try {
                run();
              } catch (error) {
                caught = error;
              }
              expect(caught).toBeInstanceOf(DomainError);
              const error = caught as DomainError;
              expect(error.code).toBe(code);
              if (extensions) expect(error.extensions).toMatchObject(extensions);
              return error;
            },
          };
        },
      };
    },
  };
}
