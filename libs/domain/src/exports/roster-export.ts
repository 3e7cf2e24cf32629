import type { Decider } from '../decider';
import { eventList, streamName } from '@recert/kernel/pure';

/**
 * R99: who exported the roster (names and e-mails included), when and with which filters, in the log: the audit export
 * carries it. One stream per export (its command id), so exports never contend.
 */
export type RosterExported = {
  type: 'RosterExported';
  data: { exportId: string; exportedBy: string; exportedAt: string; filters: Record<string, string> };
};
export const ROSTER_EXPORT_EVENTS = eventList<RosterExported>({ RosterExported: true });
export type RosterExportCommand = {
  type: 'RecordRosterExport';
  data: { exportId: string; exportedBy: string; filters: Record<string, string> };
};
export type RosterExportState = { recorded: boolean };

export const rosterExportStream = (exportId: string): string => streamName('rosterexport', exportId);

export const rosterExportDecider: Decider<string, RosterExportCommand, RosterExportState, RosterExported> = {
  streamOf: rosterExportStream,
  events: ROSTER_EXPORT_EVENTS,
  initialState: { recorded: false },
  evolve: () => ({ recorded: true }),
  // A repeat of the same command (a retry) records nothing more.
  decide: (command, state, { now }) =>
    state.recorded ? [] : [{ type: 'RosterExported', data: { ...command.data, exportedAt: now.toISOString() } }],
};
