import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  ACCOUNT_EVENT_TYPES,
  HOLDER_MESSAGE_EVENT_TYPES,
  HOLDING_EVENT_TYPES,
  LEARN_PROFILE_EVENT_TYPES,
  POLICY_ADOPTION_EVENT_TYPES,
  PROFILE_EVENT_TYPES,
  REMINDER_EVENT_TYPES,
  RosterExported,
  WebhookEndpointEvent,
} from '@recert/domain';
import { OVERRIDE_EVENT_TYPES } from '@recert/renewals';

/**
 * #28.5: docs/ARCHITECTURE.md's streams table names every stream category and every event type of every decider, so
 * the table a newcomer reads is the log as it is. The lists are the deciders' own (each checked against its union).
 */
const WEBHOOK_ENDPOINT: Record<WebhookEndpointEvent['type'], true> = {
  WebhookEndpointRegistered: true,
  WebhookEndpointDisabled: true,
  WebhookEndpointReEnabled: true,
};
const ROSTER_EXPORT: Record<RosterExported['type'], true> = { RosterExported: true };
const STREAMS: [string, readonly string[]][] = [
  ['profile-<profileId>', PROFILE_EVENT_TYPES],
  ['holding-<profileId>.<code>', HOLDING_EVENT_TYPES],
  ['account-<accountId>', ACCOUNT_EVENT_TYPES],
  ['learnprofile-<learnProfileId>', LEARN_PROFILE_EVENT_TYPES],
  ['policy-adoptions', POLICY_ADOPTION_EVENT_TYPES],
  ['reminders-<holdingId>', REMINDER_EVENT_TYPES],
  ['messages-<holdingId>', HOLDER_MESSAGE_EVENT_TYPES],
  ['webhook-<endpointId>', Object.keys(WEBHOOK_ENDPOINT)],
  ['override-<overrideId>', OVERRIDE_EVENT_TYPES],
  ['rosterexport-<exportId>', Object.keys(ROSTER_EXPORT)],
];

/** The streams table's rows: stream name (backticks removed) and the words of its events column. */
function tableRows(): { stream: string; events: string }[] {
  const text = readFileSync(join(__dirname, '..', '..', 'docs', 'ARCHITECTURE.md'), 'utf8');
  const section = text.slice(text.indexOf('## Streams'));
  const table = section.slice(0, section.indexOf('\n\n', section.indexOf('| stream')));
  return table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const [, stream = '', events = ''] = line.split('|').map((cell) => cell.trim());
      return { stream: stream.replaceAll('`', ''), events };
    });
}

describe('#28.5 the streams table of ARCHITECTURE.md', () => {
  const rows = tableRows();

  it.each(STREAMS)('#28.5: %s is in the table with every event type of its decider', (stream, types) => {
    const events = rows.filter((row) => row.stream === stream).map((row) => row.events);
    expect(events.length).toBeGreaterThan(0);
    const named = new Set(events.join(' ').match(/\b[A-Z][A-Za-z]+\b/g) ?? []);
    expect(types.filter((type) => !named.has(type))).toEqual([]);
  });

  it('#28.5: the table has no stream the deciders do not write', () => {
    expect(rows.map((row) => row.stream).filter((stream) => !STREAMS.some(([name]) => name === stream))).toEqual([]);
  });
});
