import { Injectable } from '@nestjs/common';
import type { RecordedEvent } from '@recert/eventstore';
import { DomainEvent, StreamCommands } from './stream-commands';

/**
 * A stream folded with its evolve, for the checks and answers around a write (#28.1): what reads a stream without
 * writing injects this; `StreamCommands`, the one command loop, is for the command handlers alone (R153).
 */
@Injectable()
export class StreamReader {
  constructor(private readonly commands: StreamCommands) {}

  load<State, Event extends DomainEvent>(
    stream: string,
    evolve: (state: State, event: Event) => State,
    initialState: State,
  ): Promise<{ state: State; revision: number; recorded: RecordedEvent[] }> {
    return this.commands.load(stream, evolve, initialState);
  }
}
