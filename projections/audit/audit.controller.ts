import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { APP_CONFIG, AppConfig, CLOCK, Clock, ISO_INSTANT, Roles, ValidationProblem } from '@recert/kernel';
import { IsOptional, IsString, Matches } from 'class-validator';
import { AuditChainWriter } from './audit-chain';

const POSITION_OR_INSTANT = new RegExp(`^(?:\\d{1,15}|${ISO_INSTANT.source.slice(1, -1)})$`);

export class AuditExportQuery {
  @ApiPropertyOptional({ description: 'A global position (exclusive) or an ISO 8601 instant (recordedAt, inclusive)' })
  @IsOptional()
  @IsString()
  @Matches(POSITION_OR_INSTANT, { message: 'from: a global position or an ISO 8601 instant' })
  from?: string;

  @ApiPropertyOptional({ description: 'A global position or an ISO 8601 instant (recordedAt), inclusive' })
  @IsOptional()
  @IsString()
  @Matches(POSITION_OR_INSTANT, { message: 'to: a global position or an ISO 8601 instant' })
  to?: string;
}

type Bound = { position: number } | { instant: number };

function bound(value: string | undefined): Bound | undefined {
  if (value === undefined) return undefined;
  if (/^\d+$/.test(value)) return { position: Number(value) };
  const instant = Date.parse(value);
  if (Number.isNaN(instant)) throw new ValidationProblem([{ field: 'from/to', message: `${value} is not a valid instant` }]);
  return { instant };
}

/** Every event of the log in global order as hash-chained NDJSON, streamed page by page; keyed head with AUDIT_HMAC_KEY_FILE. */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'auditHmacKey' | 'auditSigningKey'>,
  ) {}

  @Get('export')
  @Roles('admin')
  async export(@Query() query: AuditExportQuery, @Res() response: Response): Promise<void> {
    const from = bound(query.from);
    const to = bound(query.to);
    response.status(200).type('application/x-ndjson');
    response.setHeader('Content-Disposition', 'attachment; filename="recert-audit.ndjson"');
    const chain = new AuditChainWriter({ hmacKey: this.config.auditHmacKey, signingKey: this.config.auditSigningKey });
    const write = async (line: string): Promise<void> => {
      if (!response.write(`${line}\n`)) await new Promise((resolve) => response.once('drain', resolve));
    };
    await write(chain.header({ from: query.from ?? null, to: query.to ?? null, exportedAt: this.clock.now().toISOString() }));
    let after = from && 'position' in from ? from.position : 0;
    const head = await this.store.headPosition();
    for (;;) {
      const page = await this.store.readAll({ after, maxCount: 1000 });
      if (page.length === 0) break;
      for (const event of page) {
        after = event.position;
        if (event.position > head) break;
        if (from && 'instant' in from && Date.parse(event.recordedAt) < from.instant) continue;
        if (to && ('position' in to ? event.position > to.position : Date.parse(event.recordedAt) > to.instant)) {
          after = Number.MAX_SAFE_INTEGER;
          break;
        }
        await write(chain.event(event));
      }
      // Compressed (R111), a page's lines reach the client now rather than when the compressor's buffer fills.
      (response as Response & { flush?: () => void }).flush?.();
      if (after >= head) break;
    }
    await write(chain.trailer());
    response.end();
  }
}
