/** What every decider's `decide` is given: the handler's clock reading, never the decider's own. */
export interface DecideContext {
  now: Date;
}

/**
 * One aggregate, as the one write path (`handle`) takes it: which stream an id names, how its events fold
 * into state, and which events a command adds (or a DomainError). `Deps` is what a decision needs besides
 * the state and the clock (the policy book in force, a catalog entry); `{}` for most aggregates.
 */
export interface Decider<Id, Command, State, Event extends { type: string; data: object }, Deps = object> {
  streamOf(id: Id): string;
  initialState: State;
  evolve(state: State, event: Event): State;
  decide(command: Command, state: State, context: DecideContext & Deps): Event[];
}
