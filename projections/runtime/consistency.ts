import { HttpException, HttpStatus, Injectable } from '@nestjs/common';
import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsOptional, IsString, Matches } from 'class-validator';
import { ProjectionRunner } from './projection-runner';

export class ConsistencyQuery {
  @ApiPropertyOptional({ description: 'Wait (up to 5 s) until the read model has processed this global position' })
  @IsOptional()
  @IsString()
  @Matches(/^\d{1,15}$/, { message: 'consistentWith: a global position (a whole number)' })
  consistentWith?: string;
}

export const CONSISTENCY_TIMEOUT_MS = 5000;

/** Read-your-writes: a query waits for the read model to reach the position its client wrote at. */
@Injectable()
export class ReadConsistency {
  constructor(private readonly runner: ProjectionRunner) {}

  async await(query: ConsistencyQuery, names: string[], timeoutMs = CONSISTENCY_TIMEOUT_MS): Promise<void> {
    if (query.consistentWith === undefined) return;
    const reached = await this.runner.waitFor(Number(query.consistentWith), timeoutMs, names);
    if (!reached) {
      throw new HttpException(
        {
          message: `The read model has not reached position ${query.consistentWith} within ${timeoutMs / 1000} s; retry shortly`,
          retryAfter: 1,
        },
        HttpStatus.SERVICE_UNAVAILABLE,
      );
    }
  }
}
