import { eventList, type RecordedEvent } from '@recert/kernel/pure';
import { DomainError } from '../errors';
import type { SealedData } from '../profile/profile';
import type { Decider } from '../decider';
import { webhookStream } from '../streams';

/**
 * Outbound webhook endpoints (#14.5): registration is an event-sourced aggregate on `webhook-<id>`. The signing secret
 * is in the event sealed (the personal-data vault's AES-GCM, subject `webhook-<id>`): recert must read it to sign, and
 * the log, its audit export and every read of the history carry only ciphertext.
 */
export const WEBHOOK_EVENT_TYPES = [
  'certification.earned',
  'certification.renewed',
  'certification.expired',
  'certification.revoked',
  'certification.window-opened',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * R34: the domain event each webhook type is made of. `CertificationRevoked` comes from the revocation branch; until it
 * is merged no event of that type exists, so `certification.revoked` may be subscribed to and is never delivered.
 */
export const WEBHOOK_SOURCES: Record<string, WebhookEventType> = {
  CertificationEarned: 'certification.earned',
  CertificationRenewed: 'certification.renewed',
  CertificationExpired: 'certification.expired',
  CertificationRevoked: 'certification.revoked',
  RenewalWindowOpened: 'certification.window-opened',
};

export const MAX_WEBHOOK_URL_LENGTH = 2048;

/** R35: an endpoint URL is absolute http(s), without credentials (they would be stored and shown), at most 2048 characters. */
export function webhookUrlProblem(url: string): string | null {
  if (url.length > MAX_WEBHOOK_URL_LENGTH) return `at most ${MAX_WEBHOOK_URL_LENGTH} characters`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'an absolute URL is required';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'http or https is required';
  if (parsed.username !== '' || parsed.password !== '') return 'credentials in the URL are refused: use the signing secret';
  if (parsed.hash !== '') return 'a fragment is never sent: leave it out';
  return null;
}

/** R35: a secret given by the admin is `whsec_` and base64 of 24 to 64 bytes (Standard Webhooks). */
export function webhookSecretProblem(secret: string): string | null {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(secret);
  if (!match) return 'whsec_ followed by base64 is required';
  const bytes = Buffer.from(match[1] as string, 'base64').length;
  return bytes < 24 || bytes > 64 ? 'the decoded secret must be 24 to 64 bytes' : null;
}

export type WebhookEndpointRegistered = {
  type: 'WebhookEndpointRegistered';
  data: { endpointId: string; url: string; events: WebhookEventType[]; secret: SealedData; registeredAt: string; registeredBy: string };
};
export type WebhookEndpointDisabled = {
  type: 'WebhookEndpointDisabled';
  data: { endpointId: string; reason: 'admin' | 'repeated-failure'; detail: string; disabledAt: string; disabledBy: string };
};
/** R97: a disabled endpoint taken back into service by an admin; events recorded while it was disabled are not sent. */
export type WebhookEndpointReEnabled = {
  type: 'WebhookEndpointReEnabled';
  data: { endpointId: string; reEnabledAt: string; reEnabledBy: string };
};
export type WebhookEndpointEvent = WebhookEndpointRegistered | WebhookEndpointDisabled | WebhookEndpointReEnabled;
export const WEBHOOK_ENDPOINT_EVENTS = eventList<WebhookEndpointEvent>({
  WebhookEndpointRegistered: true,
  WebhookEndpointDisabled: true,
  WebhookEndpointReEnabled: true,
});

export type WebhookEndpointState =
  | { status: 'none' }
  | { status: 'active' | 'disabled'; endpointId: string; url: string; events: WebhookEventType[]; secret: SealedData };
export const initialWebhookEndpointState: WebhookEndpointState = { status: 'none' };

export type WebhookEndpointCommand =
  | {
      type: 'RegisterWebhookEndpoint';
      data: { endpointId: string; url: string; events: WebhookEventType[]; secret: SealedData; registeredBy: string };
    }
  | { type: 'DisableWebhookEndpoint'; data: { reason: 'admin' | 'repeated-failure'; detail: string; disabledBy: string } }
  | { type: 'ReEnableWebhookEndpoint'; data: { reEnabledBy: string } };

export function evolveWebhookEndpoint(state: WebhookEndpointState, event: WebhookEndpointEvent): WebhookEndpointState {
  switch (event.type) {
    case 'WebhookEndpointRegistered':
      return {
        status: 'active',
        endpointId: event.data.endpointId,
        url: event.data.url,
        events: event.data.events,
        secret: event.data.secret,
      };
    case 'WebhookEndpointDisabled':
      return state.status === 'none' ? state : { ...state, status: 'disabled' };
    case 'WebhookEndpointReEnabled':
      return state.status === 'none' ? state : { ...state, status: 'active' };
    default: {
      const unknown: never = event;
      return unknown;
    }
  }
}

/** R34-R36, R97: an endpoint is registered once (a repeat is a no-op), disabled once and re-enabled when disabled; the input was checked at the edge. */
export function decideWebhookEndpoint(
  command: WebhookEndpointCommand,
  state: WebhookEndpointState,
  context: { now: Date },
): WebhookEndpointEvent[] {
  const at = context.now.toISOString();
  switch (command.type) {
    case 'RegisterWebhookEndpoint': {
      if (state.status !== 'none') return [];
      const urlProblem = webhookUrlProblem(command.data.url);
      if (urlProblem) throw new DomainError('VALIDATION_FAILED', `url: ${urlProblem}`);
      if (command.data.events.length === 0) throw new DomainError('VALIDATION_FAILED', 'events: at least one event type is required');
      return [
        { type: 'WebhookEndpointRegistered', data: { ...command.data, events: [...new Set(command.data.events)], registeredAt: at } },
      ];
    }
    case 'DisableWebhookEndpoint':
      if (state.status === 'none') throw new DomainError('WEBHOOK_NOT_FOUND', 'No such webhook endpoint');
      if (state.status === 'disabled') return [];
      return [{ type: 'WebhookEndpointDisabled', data: { endpointId: state.endpointId, ...command.data, disabledAt: at } }];
    case 'ReEnableWebhookEndpoint':
      // R97: only a disabled endpoint is re-enabled; re-enabling an active one is a no-op (a repeat of the click).
      if (state.status === 'none') throw new DomainError('WEBHOOK_NOT_FOUND', 'No such webhook endpoint');
      if (state.status === 'active') return [];
      return [
        {
          type: 'WebhookEndpointReEnabled',
          data: { endpointId: state.endpointId, reEnabledAt: at, reEnabledBy: command.data.reEnabledBy },
        },
      ];
    default: {
      const unknown: never = command;
      return unknown;
    }
  }
}

/** The Standard Webhooks payload of a recorded domain event: `{ type, timestamp, data }`; null when it maps to no webhook type. */
export function webhookPayload(event: RecordedEvent): { type: WebhookEventType; timestamp: string; data: Record<string, unknown> } | null {
  const type = WEBHOOK_SOURCES[event.type];
  if (!type) return null;
  return { type, timestamp: event.metadata.occurredAt, data: { eventId: event.id, eventType: event.type, ...event.data } };
}

/** R37: the delay before the next attempt after `failures` failed ones: 30 s doubled each time, at most one hour. */
export function webhookRetryDelayMs(failures: number): number {
  return Math.min(30_000 * 2 ** Math.max(0, failures - 1), 3_600_000);
}
/** R37: a delivery is retried for 24 h of domain time from its first attempt, then marked failed. */
export const WEBHOOK_RETRY_SPAN_MS = 24 * 3_600_000;

/** One registered endpoint (`webhook-<endpointId>`), #14.5. */
export const webhookEndpointDecider: Decider<string, WebhookEndpointCommand, WebhookEndpointState, WebhookEndpointEvent> = {
  streamOf: (endpointId) => webhookStream(endpointId),
  events: WEBHOOK_ENDPOINT_EVENTS,
  initialState: initialWebhookEndpointState,
  evolve: evolveWebhookEndpoint,
  decide: decideWebhookEndpoint,
};
