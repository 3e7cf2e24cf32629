import type { INestApplication } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { PUBLIC_KEY } from '@recert/kernel';

/** One line per operation (Redocly's operation-summary); an operation missing here gets one from its handler's name. */
const SUMMARIES: Record<string, string> = {
  ClockController_set: 'Move the manual clock forward',
  HealthController_check: 'Health: store, policies, read-model lag, outbox',
  HealthController_live: 'Liveness',
  HealthController_ready: 'Readiness',
  CreateProfileController_create: 'Create a certification profile',
  LinkLearnProfileController_link: 'Link a learn profile',
  LinkLearnProfileController_release: 'Release a learn profile link',
  MergeProfilesController_merge: 'Merge a profile into this one',
  EarnCertificationController_earn: 'Record an earned certification',
  AttemptRenewalController_attempt: 'Record a renewal assessment attempt',
  PolicyReplaysController_start: 'Start a what-if policy replay',
  PolicyReplaysController_latest: 'The latest policy replay',
  PolicyReplaysController_get: 'A policy replay',
  AdoptPolicyController_adopt: 'Adopt a policy version',
  AdoptPolicyController_withdraw: 'Withdraw a policy adoption',
  ErasePersonalDataController_erase: "Erase a profile's personal data",
  HoldingStandingController_revoke: 'Revoke a holding',
  HoldingStandingController_suspend: 'Suspend a holding',
  HoldingStandingController_reinstate: 'Reinstate a suspended holding',
  VerificationController_rotate: 'Rotate the public verification id',
  VerificationController_visibility: 'Make the verification public or private',
  PreferencesController_get: "A holder's preferences",
  PreferencesController_put: "Set a holder's preferences",
  ImportsController_import: 'Bulk import of holders and holdings',
  DashboardController_dashboard: "A holder's dashboard",
  CalendarController_calendar: "A holding's dates as an iCalendar file",
  HistoryController_history: "A profile's history",
  ReportsController_summary: 'Holdings by certification and status',
  ReportsController_expiringByWeek: 'Holdings expiring per week',
  ReportsController_renewalRate: 'Renewal rate per month',
  ReportsController_expiring: 'Holdings expiring soon',
  AuditController_export: 'Audit export (hash-chained NDJSON)',
  VerificationPublicController_verify: 'Public verification of a certification',
  CredentialsController_credential: 'Open Badges 3.0 credential (VC-JWT)',
  CredentialsController_certificate: 'PDF certificate',
  IssuerController_did: "The issuer's did:web document",
  IssuerController_statusList: 'A Bitstring Status List credential',
  IssuerController_badge: "An achievement's badge image",
  SchedulerController_run: 'Run the scheduler once',
  WebhooksController_register: 'Register a webhook',
  WebhooksController_list: 'Webhooks',
  WebhooksController_get: 'A webhook',
  WebhooksController_disable: 'Disable a webhook',
  WebhooksController_log: "A webhook's delivery log",
  WebhooksController_redeliver: 'Redeliver a webhook delivery',
  MetricsController_scrape: 'Prometheus metrics',
  OverrideRequestsController_request: 'Request an override',
  OverrideRequestsController_list: 'Override requests',
  OverrideRequestsController_approve: 'Approve an override request',
  OverrideRequestsController_reject: 'Reject an override request',
  OverrideRequestsController_get: 'An override request',
};

/** `FooController_listThings` -> "Foo: list things". */
function summaryOf(operationId: string): string {
  const [controller = '', handler = ''] = operationId.split('_');
  const words = (text: string): string => text.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return `${words(controller.replace(/Controller$/, '')).replace(/^./, (c) => c.toUpperCase())}: ${words(handler)}`;
}

/** Operation ids (`Controller_handler`, @nestjs/swagger's default) of the handlers marked @Public(). */
function publicOperations(app: INestApplication): Set<string> {
  const ids = new Set<string>();
  for (const module of app.get(ModulesContainer).values()) {
    for (const wrapper of module.controllers.values()) {
      const type = wrapper.metatype as (new (...args: never[]) => object) | null;
      if (!type) continue;
      const classPublic = Reflect.getMetadata(PUBLIC_KEY, type) === true;
      const prototype = type.prototype as Record<string, unknown>;
      for (const name of Object.getOwnPropertyNames(prototype)) {
        const handler = prototype[name];
        if (name !== 'constructor' && typeof handler === 'function' && (classPublic || Reflect.getMetadata(PUBLIC_KEY, handler) === true))
          ids.add(`${type.name}_${name}`);
      }
    }
  }
  return ids;
}

/**
 * R74: the document Redocly's recommended rules pass with no error: a summary on every operation, bearer security by
 * default and an explicit empty `security` on public operations (a public operation that still takes a bearer token,
 * like /metrics with METRICS_TOKEN, keeps its own), and a server: PUBLIC_BASE_URL.
 */
export function refineOpenApi(app: INestApplication, document: OpenAPIObject, publicBaseUrl: string): void {
  const open = publicOperations(app);
  document.servers = [{ url: publicBaseUrl, description: 'PUBLIC_BASE_URL' }];
  document.security = [{ bearer: [] }];
  for (const path of Object.values(document.paths)) {
    for (const operation of [path.get, path.put, path.post, path.delete, path.patch, path.head, path.options]) {
      if (!operation) continue;
      const id = operation.operationId ?? '';
      operation.summary ??= SUMMARIES[id] ?? summaryOf(id);
      if (open.has(id) && !operation.security) operation.security = [];
    }
  }
}
