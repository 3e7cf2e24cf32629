import type { RecordedEvent } from '@recert/kernel/pure';
import { specification } from '../testing/specification';
import {
  decideWebhookEndpoint,
  evolveWebhookEndpoint,
  initialWebhookEndpointState,
  WebhookEndpointCommand,
  WebhookEndpointEvent,
  WebhookEndpointState,
  webhookPayload,
  webhookRetryDelayMs,
  webhookSecretProblem,
  webhookUrlProblem,
} from './webhook-endpoint';

const spec = specification<WebhookEndpointCommand, WebhookEndpointEvent, WebhookEndpointState, { now: Date }>({
  decide: decideWebhookEndpoint,
  evolve: evolveWebhookEndpoint,
  initialState: initialWebhookEndpointState,
});
const now = { now: new Date('2026-03-01T00:00:00Z') };
const sealed = { keyId: 'webhook-e1', iv: 'aXY=', tag: 'dGFn', ciphertext: 'Y2lwaGVy' };
const register = (url = 'https://hooks.example.com/recert'): WebhookEndpointCommand => ({
  type: 'RegisterWebhookEndpoint',
  data: { endpointId: 'e1', url, events: ['certification.earned', 'certification.earned'], secret: sealed, registeredBy: 'ada' },
});
const registered: WebhookEndpointEvent = {
  type: 'WebhookEndpointRegistered',
  data: {
    endpointId: 'e1',
    url: 'https://hooks.example.com/recert',
    events: ['certification.earned'],
    secret: sealed,
    registeredAt: '2026-03-01T00:00:00.000Z',
    registeredBy: 'ada',
  },
};
const disable: WebhookEndpointCommand = { type: 'DisableWebhookEndpoint', data: { reason: 'admin', detail: 'moved', disabledBy: 'ada' } };

describe('webhook endpoint (#14.5)', () => {
  it('R34: an endpoint is registered once, its event types without repeats; a repeat registers nothing', () => {
    spec.given([]).when(register(), now).then([registered]);
    spec.given([registered]).when(register(), now).thenNothing();
  });

  it('R35: only absolute http(s) URLs without credentials or fragment; secrets are whsec_ and 24 to 64 bytes', () => {
    expect(webhookUrlProblem('https://hooks.example.com/x?y=1')).toBeNull();
    expect(webhookUrlProblem('http://127.0.0.1:8080/x')).toBeNull();
    expect(webhookUrlProblem('https://u:p@hooks.example.com/')).toMatch(/credentials/);
    expect(webhookUrlProblem('https://u@hooks.example.com/')).toMatch(/credentials/);
    expect(webhookUrlProblem('file:///etc/passwd')).toMatch(/http or https/);
    expect(webhookUrlProblem('/relative')).toMatch(/absolute/);
    expect(webhookUrlProblem('https://hooks.example.com/#x')).toMatch(/fragment/);
    expect(webhookUrlProblem(`https://hooks.example.com/${'a'.repeat(2048)}`)).toMatch(/2048/);
    spec.given([]).when(register('ftp://hooks.example.com/'), now).thenThrows('VALIDATION_FAILED');
    expect(webhookSecretProblem(`whsec_${Buffer.alloc(32, 1).toString('base64')}`)).toBeNull();
    expect(webhookSecretProblem(`whsec_${Buffer.alloc(16, 1).toString('base64')}`)).toMatch(/24 to 64/);
    expect(webhookSecretProblem('secret')).toMatch(/whsec_/);
  });

  it('R38: an endpoint is disabled once, with its reason; an unknown one is WEBHOOK_NOT_FOUND', () => {
    spec
      .given([registered])
      .when(disable, now)
      .thenMatches([{ type: 'WebhookEndpointDisabled', data: { endpointId: 'e1', reason: 'admin' } }]);
    const disabled = decideWebhookEndpoint(disable, evolveWebhookEndpoint(initialWebhookEndpointState, registered), now);
    spec
      .given([registered, ...disabled])
      .when(disable, now)
      .thenNothing();
    spec.given([]).when(disable, now).thenThrows('WEBHOOK_NOT_FOUND');
  });

  it('R97: a disabled endpoint is re-enabled once, by whom; an active one re-enables nothing; an unknown one is WEBHOOK_NOT_FOUND', () => {
    const reEnable: WebhookEndpointCommand = { type: 'ReEnableWebhookEndpoint', data: { reEnabledBy: 'bob' } };
    const disabled = decideWebhookEndpoint(disable, evolveWebhookEndpoint(initialWebhookEndpointState, registered), now);
    spec
      .given([registered, ...disabled])
      .when(reEnable, now)
      .then([
        { type: 'WebhookEndpointReEnabled', data: { endpointId: 'e1', reEnabledAt: '2026-03-01T00:00:00.000Z', reEnabledBy: 'bob' } },
      ]);
    spec.given([registered]).when(reEnable, now).thenNothing();
    spec.given([]).when(reEnable, now).thenThrows('WEBHOOK_NOT_FOUND');
    const back = [
      registered,
      ...disabled,
      { type: 'WebhookEndpointReEnabled', data: { endpointId: 'e1', reEnabledAt: 'x', reEnabledBy: 'bob' } } as const,
    ];
    spec
      .given(back)
      .when(disable, now)
      .thenMatches([{ type: 'WebhookEndpointDisabled' }]);
  });

  it('R34: the payload is { type, timestamp, data } of a mapped event, revoked included; other events map to none', () => {
    const event = (type: string): RecordedEvent => ({
      id: 'ev-1',
      type,
      data: { holdingId: 'p.c', profileId: 'p' },
      metadata: { correlationId: 'c', causationId: 'c', actor: 'a', occurredAt: '2026-03-01T00:00:00.000Z' },
      stream: 'holding-p.c',
      revision: 0,
      position: 1,
      recordedAt: '2026-03-01T00:00:00.000Z',
    });
    expect(webhookPayload(event('CertificationRenewed'))).toEqual({
      type: 'certification.renewed',
      timestamp: '2026-03-01T00:00:00.000Z',
      data: { eventId: 'ev-1', eventType: 'CertificationRenewed', holdingId: 'p.c', profileId: 'p' },
    });
    expect(webhookPayload(event('CertificationRevoked'))?.type).toBe('certification.revoked');
    expect(webhookPayload(event('AssessmentAttempted'))).toBeNull();
  });

  it('R37: retries back off from 30 s, doubling, capped at one hour', () => {
    expect([1, 2, 3, 8, 20].map(webhookRetryDelayMs)).toEqual([30_000, 60_000, 120_000, 3_600_000, 3_600_000]);
  });
});
