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
