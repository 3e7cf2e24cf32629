/** Who asked and why, carried by every command into the metadata of the events it stores. */
export interface CommandMeta {
  /** Unique per request (or derived from its Idempotency-Key): event ids are derived from it. */
  commandId: string;
  correlationId: string;
  causationId: string;
  actor: string;
}
