/**
 * Compile-time contract between the server and the dashboard pages: each type the server answers with must fit the
 * type its page reads (`apps/api/web/api-types.ts`). A renamed or retyped field fails `npm run lint` (tsc) here,
 * instead of a blank cell in a browser.
 */
import type { RecordedEvent } from '@recert/eventstore';
import type { Dashboard, ReportsQueries, RosterQueries, SummaryReport } from '@recert/projections';
import type { MyProfiles, PolicyReplayJob, PreferencesView } from '@recert/renewals';
import type { HoldingStatus } from '@recert/domain';
import type * as Page from '../../apps/api/web/api-types';

type Fits<Server, Read> = [Server] extends [Read] ? true : never;

export const serverFitsPages: [
  Fits<Dashboard, Page.Dashboard>,
  Fits<RecordedEvent, Page.HistoryEvent>,
  Fits<SummaryReport, Page.Summary>,
  Fits<Awaited<ReturnType<ReportsQueries['expiring']>>, Page.Expiring>,
  Fits<Awaited<ReturnType<ReportsQueries['expiringByWeek']>>, Page.ExpiringByWeek>,
  Fits<PolicyReplayJob, Page.ReplayJob>,
  Fits<Awaited<ReturnType<ReportsQueries['renewalRate']>>, Page.RenewalRate>,
  Fits<PreferencesView, Page.Preferences>,
  Fits<Awaited<ReturnType<RosterQueries['page']>>, Page.Roster>,
  Fits<MyProfiles, Page.MyProfiles>,
  // The view spells the statuses out (it imports no domain module): both ways equal to the domain's.
  Fits<HoldingStatus, Dashboard['certifications'][number]['status']>,
  Fits<Dashboard['certifications'][number]['status'], HoldingStatus>,
] = [true, true, true, true, true, true, true, true, true, true, true, true];
