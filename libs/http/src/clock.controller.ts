import { Body, Controller, HttpCode, Inject, NotFoundException, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiProperty, ApiTags } from '@nestjs/swagger';
import {
  CLOCK,
  Clock,
  ClockMovedBackwardsError,
  ISO_INSTANT,
  isManualClock,
  Roles,
  saveManualClock,
  settingsProvider,
  ValidationProblem,
} from '@recert/kernel';
import { IsISO8601, IsString, Matches } from 'class-validator';

export class SetClockDto {
  @ApiProperty({ example: '2027-01-01T00:00:00Z' })
  @IsString()
  @IsISO8601({ strict: true, strictSeparator: true })
  @Matches(ISO_INSTANT, { message: 'now: an ISO 8601 instant with a time zone' })
  now!: string;
}

/** What the clock endpoint reads of the settings (#28.4): where the manual clock is saved. */
export interface ClockSettings {
  dataDir: string;
}
export const CLOCK_SETTINGS = Symbol('CLOCK_SETTINGS');
export const clockSettings = settingsProvider(CLOCK_SETTINGS, (c): ClockSettings => ({ dataDir: c.dataDir }));

/** Moves the manual clock (CLOCK=manual) for simulations and tests; never backwards; saved in DATA_DIR for restarts. */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/clock')
export class ClockController {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CLOCK_SETTINGS) private readonly config: ClockSettings,
  ) {}

  @Post()
  @HttpCode(200)
  @Roles('admin')
  set(@Body() body: SetClockDto): { now: string } {
    if (!isManualClock(this.clock)) throw new NotFoundException('The clock is the system clock: start with CLOCK=manual to move it');
    try {
      this.clock.set(new Date(body.now));
    } catch (error) {
      if (error instanceof ClockMovedBackwardsError) throw new ValidationProblem([{ field: 'now', message: error.message }], error.message);
      throw error;
    }
    saveManualClock(this.clock, this.config.dataDir);
    return { now: this.clock.now().toISOString() };
  }
}
