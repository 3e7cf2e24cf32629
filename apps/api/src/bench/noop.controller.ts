import { Body, Controller, HttpCode, Post } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Roles } from '@recert/kernel';
import { IsBoolean, IsOptional, IsString, Length } from 'class-validator';

export class NoopDto {
  @IsOptional()
  @IsBoolean()
  passed?: boolean;

  @IsOptional()
  @IsString()
  @Length(1, 20)
  language?: string;
}

/**
 * The api benchmark's ceiling: a POST through the same guards (JWT, roles, rate limit), pipes and filters as a
 * command, doing nothing. Mounted only with BENCH_NOOP_ROUTE=1.
 */
@ApiExcludeController()
@Controller('bench')
export class NoopController {
  @Post('noop')
  @HttpCode(201)
  @Roles('assessment-system', 'exam-system', 'support', 'admin')
  noop(@Body() _body: NoopDto): { ok: true } {
    return { ok: true };
  }
}
