import type { CommandBus, ICommand, ICommandHandler } from '@nestjs/cqrs';
import type { EventStore } from '@recert/eventstore';
import type { Clock } from '@recert/kernel';
import {
  CATALOG,
  HoldingHandler,
  PolicyRegistry,
  ProfileReader,
  StreamCommands,
  StreamReader,
  streamWriteHandlers,
} from '@recert/renewals';
import type { Catalog } from '@recert/domain';
import type { Harness } from './harness';

/** `@CommandHandler(X)` keeps X here (@nestjs/cqrs). */
const HANDLED_COMMAND = '__commandHandler__';

/**
 * The aggregates' write handlers over another store (a crashing one, say), behind a bus of their own: what a spec
 * gives a process it builds by hand, so its writes take the same path as the app's (#28.1).
 */
export function commandBusOver(
  store: EventStore,
  clock: Clock,
  h: Pick<Harness, 'app'>,
): { bus: CommandBus; profiles: ProfileReader; holdings: HoldingHandler } {
  const commands = new StreamCommands(store, clock);
  const profiles = new ProfileReader(new StreamReader(commands));
  const holdings = new HoldingHandler(commands, profiles, h.app.get(PolicyRegistry), h.app.get<Catalog>(CATALOG));
  const handlers = new Map<unknown, ICommandHandler>([[HoldingHandler, holdings]]);
  for (const Handler of streamWriteHandlers)
    handlers.set(Handler, new (Handler as new (commands: StreamCommands) => ICommandHandler)(commands));
  const byCommand = new Map<unknown, ICommandHandler>();
  for (const [Handler, handler] of handlers) byCommand.set(Reflect.getMetadata(HANDLED_COMMAND, Handler as object), handler);
  const bus = {
    execute: (command: ICommand): Promise<unknown> => {
      const handler = byCommand.get(command.constructor);
      if (!handler) throw new Error(`No handler for ${command.constructor.name}`);
      return handler.execute(command) as Promise<unknown>;
    },
  };
  return { bus: bus as unknown as CommandBus, profiles, holdings };
}
