import { Injectable } from '@nestjs/common';
import type { EventShape, Recorded } from '@recert/eventstore';
import type { Aggregate } from '@recert/domain';
import { Loaded, StreamCommands } from './stream-commands';

/**
 * A stream folded as its aggregate knows it, for the checks and answers around a write (#28.1): what reads a stream
 * without writing injects this; `StreamCommands`, the one command loop, is for the command handlers alone (R153).
 * The aggregate's event list types what is read (#28.3).
 */
@Injectable()
export class StreamReader {
  constructor(private readonly commands: StreamCommands) {}

  load<State, Event extends EventShape>(stream: string, aggregate: Aggregate<State, Event>): Promise<Loaded<State, Recorded<Event>>> {
    return this.commands.load(stream, aggregate);
  }
}
