import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { EVENT_STORE, EventStore } from '@recert/eventstore';
import { Public } from '@recert/kernel';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  @Get()
  @Public()
  async health(): Promise<{ status: 'ok'; store: { kind: string; head: number } }> {
    try {
      return { status: 'ok', store: { kind: this.store.kind, head: await this.store.headPosition() } };
    } catch {
      throw new ServiceUnavailableException('The event store is unreachable');
    }
  }
}
