import { EventMetadata, JsonObject, RecordedEvent } from './event-store.port';

/**
 * A stored event as the SQL stores' read statements return it, as an array (cheaper than an object when a rebuild
 * reads millions): PostgreSQL gives the BIGINT position as a string and nullable JSON text, SQLite a number and text.
 */
export type SqlEventRow = [
  position: string | number,
  stream: string,
  revision: number,
  id: string,
  type: string,
  data: string | null,
  metadata: string | null,
  recordedAt: string,
];

/** The one mapping of a row to a RecordedEvent, for the SQLite and the PostgreSQL store alike. */
export function toRecorded(row: SqlEventRow): RecordedEvent {
  const [position, stream, revision, id, type, data, rawMetadata, recordedAt] = row;
  let metadata: EventMetadata | undefined;
  return {
    id,
    type,
    data: JSON.parse(data ?? '{}') as JsonObject,
    // Parsed on first use: projections replaying millions of events rarely read it.
    get metadata(): EventMetadata {
      metadata ??= JSON.parse(rawMetadata ?? '{}') as EventMetadata;
      return metadata;
    },
    stream,
    revision,
    position: Number(position),
    recordedAt,
  };
}
