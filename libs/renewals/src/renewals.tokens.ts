import type { RecordedEvent } from '@recert/eventstore';
import { Catalog, Policy, PolicyBook } from '@recert/domain';

export const CATALOG = Symbol('CATALOG');

/** The policy versions in force: the shipped file plus every adopted version (PolicyAdopted) not withdrawn (R14b). */
export class PolicyRegistry {
  private current: PolicyBook;

  constructor(initial: PolicyBook) {
    this.current = initial;
  }

  book(): PolicyBook {
    return this.current;
  }

  adopt(policy: Policy): void {
    this.current = this.current.with(policy);
  }

  withdraw(version: string): void {
    this.current = this.current.without(version);
  }
}

/** What every command answers: the events it stored and the global position of the last one. */
export interface CommandResult {
  events: RecordedEvent[];
  position: number;
}

export function combine(...outcomes: { events: RecordedEvent[]; position: number }[]): CommandResult {
  return {
    events: outcomes.flatMap((outcome) => outcome.events),
    position: Math.max(0, ...outcomes.map((outcome) => outcome.position)),
  };
}

export { Catalog };

/** Whether the adopted policy versions are loaded: the command loop refuses decisions until they are (R14). */
export interface PoliciesReady {
  readonly loaded: boolean;
}
export const POLICIES_READY = Symbol('POLICIES_READY');
