import { Controller, HttpCode, Post } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import { Roles } from '@recert/kernel';
import { Scheduler, SchedulerRun } from './scheduler';

@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/scheduler')
export class SchedulerController {
  constructor(private readonly scheduler: Scheduler) {}

  @Post('run')
  @HttpCode(200)
  @Roles('scheduler', 'admin')
  run(): Promise<SchedulerRun> {
    return this.scheduler.runOnce();
  }
}
