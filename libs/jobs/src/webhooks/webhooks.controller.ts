import { CommandBus } from '@nestjs/cqrs';
import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query, UseInterceptors } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiProperty, ApiPropertyOptional, ApiQuery, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsOptional, IsString, MaxLength } from 'class-validator';
import { CommandMetaFromRequest, deterministicId, RequestMeta, Roles, ValidationProblem } from '@recert/kernel';
import {
  IdempotencyInterceptor,
  PERSONAL_DATA_VAULT,
  PersonalDataVault,
  SealInIdempotentAnswer,
  WebhookEndpointWrite,
} from '@recert/renewals';
import { DomainError, WEBHOOK_EVENT_TYPES, WebhookEventType, webhookSecretProblem, webhookStream, webhookUrlProblem } from '@recert/domain';
import { newWebhookSecret } from './standard-webhooks';
import { WEBHOOK_SETTINGS, WebhookDeliveries, WebhookEndpointRow, WebhookSettings } from './webhook-deliveries';
import { webhookTargetProblem } from './webhook-target';

export class RegisterWebhookDto {
  @ApiProperty({ example: 'https://hr.example.com/hooks/recert', description: 'http or https, no credentials in it (R35)' })
  @IsString()
  @MaxLength(2048)
  url!: string;

  @ApiProperty({ enum: WEBHOOK_EVENT_TYPES, isArray: true, description: 'certification.revoked is delivered once revocation exists' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(WEBHOOK_EVENT_TYPES.length)
  @IsIn(WEBHOOK_EVENT_TYPES, { each: true })
  events!: WebhookEventType[];

  @ApiPropertyOptional({ description: 'whsec_ and base64 of 24 to 64 bytes; generated when absent. Returned only once, here.' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  secret?: string;
}

const ENDPOINT_ID = /^[0-9a-f-]{36}$/;

function view(row: WebhookEndpointRow): Record<string, unknown> {
  return {
    id: row.id,
    url: row.url,
    events: JSON.parse(row.events) as string[],
    status: row.status,
    registeredAt: row.registered_at,
    failingSince: row.failing_since,
    disabledReason: row.disabled_reason,
  };
}

/** #14.5 outbound webhook endpoints and their delivery log; the secret leaves recert once, in the 201 answer. */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/webhooks')
export class WebhooksController {
  constructor(
    private readonly deliveries: WebhookDeliveries,
    private readonly bus: CommandBus,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(WEBHOOK_SETTINGS) private readonly settings: WebhookSettings,
  ) {}

  @ApiOperation({
    summary: 'Register an outbound webhook endpoint',
    description:
      'Answers 201 `{ id, url, events, status, secret, events, position }`; `secret` (`whsec_` + base64) is shown only here. Deliveries: POST of `{ type, timestamp, data }` with `webhook-id` (the event id), `webhook-timestamp` and `webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">` (Standard Webhooks), retried with backoff for 24 h, in order per holding.',
  })
  @Post()
  @HttpCode(201)
  @Roles('admin')
  // R52: a repeat with the same Idempotency-Key answers the first answer, secret included, and creates nothing; the
  // stored answer carries the secret sealed under the endpoint's own key, never in clear.
  @UseInterceptors(IdempotencyInterceptor)
  @SealInIdempotentAnswer({ fields: ['secret'], subject: (answer) => webhookStream(String(answer['id'])) })
  async register(@Body() body: RegisterWebhookDto, @CommandMetaFromRequest() meta: RequestMeta): Promise<Record<string, unknown>> {
    const errors = [
      { field: 'url', message: webhookUrlProblem(body.url) },
      { field: 'secret', message: body.secret === undefined ? null : webhookSecretProblem(body.secret) },
    ].filter((error): error is { field: string; message: string } => error.message !== null);
    if (errors.length > 0) throw new ValidationProblem(errors, 'The webhook endpoint is invalid');
    // R51: a target the URL itself shows to be non-public; a name is judged at each send, against what it resolves to.
    const targetProblem = webhookTargetProblem(body.url, this.settings.allowedNetworks);
    if (targetProblem) throw new DomainError('WEBHOOK_TARGET_REFUSED', `url: ${targetProblem}`);
    const id = deterministicId('webhook-endpoint', meta.commandId);
    const secret = body.secret ?? newWebhookSecret();
    const sealedSecret = await this.vault.seal(webhookStream(id), { secret });
    const outcome = await this.bus.execute(
      new WebhookEndpointWrite(
        id,
        {
          type: 'RegisterWebhookEndpoint',
          data: { endpointId: id, url: body.url, events: body.events, secret: sealedSecret, registeredBy: meta.actor },
        },
        meta,
      ),
    );
    const registered = outcome.events[0];
    // Listed at once; the dispatcher's ingest reaches the same row from the log (and would after a crash here).
    if (registered) await this.deliveries.upsertEndpoint(registered);
    const row = await this.found(id);
    // A retry after a crash that stored the registration: the secret is the stored one, not the one drawn just now.
    const shown = registered ? secret : await this.deliveries.endpointSecret(row);
    return { ...view(row), secret: shown, events: outcome.events, position: outcome.position };
  }

  @ApiOperation({ summary: 'List webhook endpoints (never their secrets)' })
  @Get()
  @Roles('admin')
  async list(): Promise<{ endpoints: Record<string, unknown>[] }> {
    return { endpoints: (await this.deliveries.endpoints()).map(view) };
  }

  @ApiOperation({ summary: 'One webhook endpoint: status (active, disabled), failingSince, disabledReason' })
  @Get(':id')
  @Roles('admin')
  async get(@Param('id') id: string): Promise<Record<string, unknown>> {
    return view(await this.found(id));
  }

  @ApiOperation({ summary: 'Disable an endpoint (WebhookEndpointDisabled, reason admin)' })
  @Post(':id/disable')
  @HttpCode(200)
  @Roles('admin')
  async disable(@Param('id') id: string, @CommandMetaFromRequest() meta: RequestMeta): Promise<Record<string, unknown>> {
    await this.found(id);
    const outcome = await this.deliveries.disable(
      id,
      { type: 'DisableWebhookEndpoint', data: { reason: 'admin', detail: 'disabled by an admin', disabledBy: meta.actor } },
      meta,
    );
    return { ...view(await this.found(id)), events: outcome.events, position: outcome.position };
  }

  @ApiOperation({
    summary: 'Re-enable a disabled endpoint (WebhookEndpointReEnabled, R97)',
    description: 'Deliveries start again with the events recorded after it; a repeat on an active endpoint changes nothing.',
  })
  @Post(':id/enable')
  @HttpCode(200)
  @Roles('admin')
  async enable(@Param('id') id: string, @CommandMetaFromRequest() meta: RequestMeta): Promise<Record<string, unknown>> {
    await this.found(id);
    const outcome = await this.deliveries.reEnable(id, meta.actor, meta);
    return { ...view(await this.found(id)), events: outcome.events, position: outcome.position };
  }

  @ApiOperation({ summary: 'The delivery log of an endpoint, newest first: state (pending, delivered, failed), attempts and each attempt' })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 1000, default 100' })
  @Get(':id/deliveries')
  @Roles('admin')
  async log(@Param('id') id: string, @Query('limit') limit?: string): Promise<{ deliveries: Record<string, unknown>[] }> {
    await this.found(id);
    const max = limit === undefined ? 100 : Number(limit);
    if (!Number.isInteger(max) || max < 1 || max > 1000)
      throw new ValidationProblem([{ field: 'limit', message: 'a whole number from 1 to 1000' }]);
    return {
      deliveries: (await this.deliveries.deliveries(id, max)).map((row) => ({
        id: row.id,
        webhookId: row.event_id,
        type: row.type,
        holding: row.holding,
        position: row.position,
        state: row.state,
        attempts: row.attempts,
        firstAttemptAt: row.first_attempt_at,
        nextAttemptAt: row.next_attempt_at,
        lastStatus: row.last_status,
        lastError: row.last_error,
        deliveredAt: row.delivered_at,
        log: row.log,
      })),
    };
  }

  @ApiOperation({ summary: 'Send a delivery again, with the same webhook-id and a fresh 24 h of retries' })
  @Post(':id/deliveries/:deliveryId/redeliver')
  @HttpCode(200)
  @Roles('admin')
  async redeliver(@Param('id') id: string, @Param('deliveryId') deliveryId: string): Promise<Record<string, unknown>> {
    await this.found(id);
    const row = await this.deliveries.redeliver(id, deliveryId);
    if (!row) throw new DomainError('WEBHOOK_NOT_FOUND', `Endpoint ${id} has no delivery ${deliveryId}`);
    return { id: row.id, webhookId: row.event_id, state: row.state };
  }

  private async found(id: string): Promise<WebhookEndpointRow> {
    if (!ENDPOINT_ID.test(id)) throw new ValidationProblem([{ field: 'id', message: 'a webhook endpoint id (UUID) is required' }]);
    const row = await this.deliveries.endpoint(id);
    if (!row) throw new DomainError('WEBHOOK_NOT_FOUND', `No webhook endpoint ${id}`);
    return row;
  }
}
