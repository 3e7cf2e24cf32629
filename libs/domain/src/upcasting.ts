import type { JsonObject, RecordedEvent } from '@recert/kernel/pure';

/**
 * Upcasters: an event stored with an older payload version is read as the newest, so history is never
 * rewritten (R14). Keyed by type, then by the stored version; each step returns the next version's data.
 */
type Upcaster = (data: JsonObject) => JsonObject;

const UPCASTERS: Record<string, Record<number, Upcaster>> = {
  // v1 attempts predate R13's language check; the assessment was English-only then.
  AssessmentAttempted: { 1: (data) => ({ ...data, language: data['language'] ?? 'en' }) },
};

/** The payload version recert writes today for an event type: one past its last upcaster, derived from the table. */
export function currentSchemaVersion(type: string): number {
  const steps = UPCASTERS[type];
  return steps ? Math.max(...Object.keys(steps).map(Number)) + 1 : 1;
}

export function upcast(event: RecordedEvent): RecordedEvent {
  const steps = UPCASTERS[event.type];
  if (!steps) return event;
  let version = typeof event.metadata.schemaVersion === 'number' ? event.metadata.schemaVersion : 1;
  let data = event.data;
  for (let step = steps[version]; step; step = steps[version]) {
    data = step(data);
    version += 1;
  }
  return version === event.metadata.schemaVersion ? event : { ...event, data, metadata: { ...event.metadata, schemaVersion: version } };
}
