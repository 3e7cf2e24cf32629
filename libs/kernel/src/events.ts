/** The shape of an event, stored or about to be: pure types the domain, the store port and its adapters share. */

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

/** Who, when and why of every stored event. */
export interface EventMetadata {
  correlationId: string;
  causationId: string;
  /** Who or what asked: a token subject, `scheduler`, `system`. */
  actor: string;
  /** Domain time, ISO 8601 UTC. */
  occurredAt: string;
  /** Version of the policy a decision was taken under (R14). */
  policyVersion?: string;
  /** Payload schema version of the event's data. */
  schemaVersion?: number;
  [extra: string]: JsonValue | undefined;
}

export interface NewEvent<Type extends string = string, Data extends JsonObject = JsonObject> {
  id: string;
  type: Type;
  data: Data;
  metadata: EventMetadata;
}

export interface RecordedEvent<Type extends string = string, Data extends JsonObject = JsonObject> extends NewEvent<Type, Data> {
  stream: string;
  /** 0-based position of the event inside its stream. */
  revision: number;
  /** Global, strictly increasing position in the whole log (EventStoreDB: the commit position). */
  position: number;
  /** Store time, ISO 8601 UTC. */
  recordedAt: string;
}

/** One member of an aggregate's event union as the domain declares it: a type name and its JSON payload. */
export type EventShape = { type: string; data: JsonObject };

/**
 * A stored event of the union `E`, still a union: `if (event.type === 'X')` narrows its `data` to X's payload, so a
 * renamed field fails to compile where it is read. Made by an `EventList`'s guard, never by a cast.
 */
export type Recorded<E extends EventShape> = E extends EventShape ? RecordedEvent<E['type'], E['data']> : never;

/** The one list of an aggregate's event types, and the guard that narrows a stored event to the union. */
export interface EventList<E extends EventShape> {
  readonly types: readonly E['type'][];
  /** True when the event's type is one of the list's: the event is then a `Recorded<E>`. */
  is(event: RecordedEvent): event is Recorded<E>;
}

/**
 * The list of a union's types from a record keyed by every one of them (`satisfies Record<E['type'], true>` at the
 * declaration makes a missing or unknown name fail to compile), with its guard.
 */
export function eventList<E extends EventShape>(types: { readonly [K in E['type']]: true }): EventList<E> {
  const names = Object.keys(types) as E['type'][];
  const known = new Set<string>(names);
  return { types: names, is: (event): event is Recorded<E> => known.has(event.type) };
}
