/** The one source of domain time. Domain and projection code get `now` from here, never from `new Date()`. */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('CLOCK');

export class SystemClock implements Clock {
  readonly mode = 'system' as const;
  now(): Date {
    return new Date();
  }
}

export class ClockMovedBackwardsError extends Error {
  constructor(
    readonly current: Date,
    readonly requested: Date,
  ) {
    super(`The clock cannot move backwards from ${current.toISOString()} to ${requested.toISOString()}`);
    this.name = 'ClockMovedBackwardsError';
  }
}

/** For simulations and tests: time moves only when told, and never backwards. */
export class ManualClock implements Clock {
  readonly mode = 'manual' as const;
  private current: Date;

  constructor(start: Date) {
    this.current = new Date(start.getTime());
  }

  now(): Date {
    return new Date(this.current.getTime());
  }

  set(next: Date): void {
    if (next.getTime() < this.current.getTime()) throw new ClockMovedBackwardsError(this.current, next);
    this.current = new Date(next.getTime());
  }

  advance(milliseconds: number): void {
    this.set(new Date(this.current.getTime() + milliseconds));
  }
}

export function isManualClock(clock: Clock): clock is ManualClock {
  return clock instanceof ManualClock;
}
