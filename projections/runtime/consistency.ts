import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@recert/kernel';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { PROJECTOR, Projector } from './projector';

export class ConsistencyQuery {
  @ApiPropertyOptional({ description: 'Wait (up to 5 s) until the read model has processed this global position' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,15}$/, { message: 'consistentWith: a global position (a whole number)' })
  consistentWith?: string;
}

/**
 * The projection serving a read model's name now: a model rebuilt per policy serves from a generation of its own.
 * Given by the read-models module, so the runtime knows no read model. A promise when it is read from the shared
 * read store (a swap made by another process is seen at once, #23.4).
 */
export type ServingProjection = (name: string) => string | Promise<string>;
export const SERVING_PROJECTION = Symbol('SERVING_PROJECTION');

/**
 * Read-your-writes: a query waits for the read model to reach the position its client wrote at. The checkpoints are
 * the read store's, so a write answered by one replica is awaited on any other (R142).
 */
@Injectable()
export class ReadConsistency {
  constructor(
    @Inject(PROJECTOR) private readonly runner: Projector,
    @Inject(APP_CONFIG) private readonly config: Pick<AppConfig, 'consistencyTimeoutMs'>,
    @Inject(SERVING_PROJECTION) private readonly serving: ServingProjection,
  ) {}

  async await(query: ConsistencyQuery, names: string[]): Promise<void> {
    const timeoutMs = this.config.consistencyTimeoutMs;
    if (query.consistentWith === undefined) return;
    names = await Promise.all(names.map(async (name) => this.serving(name)));
    const reached = await this.runner.waitFor(Number(query.consistentWith), timeoutMs, names);
    if (!reached) {
      throw new HttpException(
        {
          message: `The read model has not reached position ${query.consistentWith} within ${timeoutMs} ms; retry shortly`,
          retryAfter: 1,
        },
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
  }
}
