import { HttpException, HttpStatus, Inject, Injectable } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '@recert/kernel';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { HoldingsModel } from '../holdings/holdings.model';
import { ProjectionRunner } from './projection-runner';

export class ConsistencyQuery {
  @ApiPropertyOptional({ description: 'Wait (up to 5 s) until the read model has processed this global position' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,15}$/, { message: 'consistentWith: a global position (a whole number)' })
  consistentWith?: string;
}

/** Read-your-writes: a query waits for the read model to reach the position its client wrote at. */
@Injectable()
export class ReadConsistency {
  constructor(
    private readonly runner: ProjectionRunner,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly holdings: HoldingsModel,
  ) {}

  /** `holdings` stands for whichever generation of the holdings model serves reads now. */
  async await(query: ConsistencyQuery, names: string[]): Promise<void> {
    const timeoutMs = this.config.consistencyTimeoutMs;
    names = names.map((name) => (name === 'holdings' ? this.holdings.tables().projection : name));
    if (query.consistentWith === undefined) return;
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
