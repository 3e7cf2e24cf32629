import type { EventList, EventShape } from '@recert/kernel/pure';

/** What every decider's `decide` is given: the handler's clock reading, never the decider's own. */
export interface DecideContext {
  now: Date;
}

/** What reading an aggregate's stream needs: the event list that types what is read, and the fold. */
export interface Aggregate<State, Event extends EventShape> {
  /** The aggregate's event types, the one list: what its stream holds, and the guard that types them when read. */
  events: EventList<Event>;
  initialState: State;
  evolve(state: State, event: Event): State;
}

/**
 * One aggregate, as the one write path (`handle`) takes it: which stream an id names, how its events fold
 * into state, and which events a command adds (or a DomainError). `Deps` is what a decision needs besides
 * the state and the clock (the policy book in force, a catalog entry); `{}` for most aggregates.
 */
export interface Decider<Id, Command, State, Event extends EventShape, Deps = object> extends Aggregate<State, Event> {
  streamOf(id: Id): string;
  decide(command: Command, state: State, context: DecideContext & Deps): Event[];
}
