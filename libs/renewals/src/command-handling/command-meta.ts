/** Who asked and why, carried by every command into the metadata of the events it stores. */
export interface CommandMeta {
  /** Unique per request (or derived from its Idempotency-Key): event ids are derived from it. */
  commandId: string;
  correlationId: string;
  causationId: string;
  actor: string;
  /**
   * The command may have run before under this very id (a repeat of an Idempotency-Key after a crash, #22.3): events
   * it already stored in a stream are its answer there, instead of deciding again on a state that now holds them.
   */
  replayStored?: boolean;
}
