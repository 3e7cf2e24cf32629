import { Injectable, Type } from '@nestjs/common';
import { Command, CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import {
  accountDecider,
  Decider,
  holderMessageDecider,
  learnProfileDecider,
  overrideDecider,
  policyAdoptionDecider,
  profileDecider,
  reminderDecider,
  rosterExportDecider,
  webhookEndpointDecider,
} from '@recert/domain';
import { CommandMeta } from './command-meta';
import { DomainEvent, HandleOptions, StreamOutcome, StreamCommands } from './stream-commands';

/**
 * One write of one aggregate, sent on the `CommandBus` (#28.1): its stream's id, the decider's command, who asks, and
 * the decider's dependencies (read again on each retry) or a step name. Every write of recert is one of these or a
 * `HoldingWrite` (holding-handler.ts), so a newcomer finds every write of an aggregate here, one handler per family.
 */
export interface StreamWrite<Id, C, S, D> extends Command<StreamOutcome<S>> {
  readonly id: Id;
  readonly command: C;
  readonly meta: CommandMeta;
  readonly options: HandleOptions<D>;
}

export type StreamWriteClass<Id, C, S, D> = new (
  id: Id,
  command: C,
  meta: CommandMeta,
  options?: HandleOptions<D>,
) => StreamWrite<Id, C, S, D>;

/** Each decider's write class, for `writeOf`. */
const writes = new Map<unknown, unknown>();
export const streamWriteHandlers: Type<ICommandHandler>[] = [];

/**
 * The command class of an aggregate's writes and its handler (registered in `streamWriteHandlers`): the handler runs
 * the one command loop, `StreamCommands.handle`. The class carries `name`, which is the metrics' command label.
 */
function streamWrite<Id, C, S, E extends DomainEvent, D>(name: string, decider: Decider<Id, C, S, E, D>): StreamWriteClass<Id, C, S, D> {
  class Write extends Command<StreamOutcome<S>> implements StreamWrite<Id, C, S, D> {
    constructor(
      readonly id: Id,
      readonly command: C,
      readonly meta: CommandMeta,
      readonly options: HandleOptions<D> = {},
    ) {
      super();
    }
  }
  Object.defineProperty(Write, 'name', { value: name });

  @CommandHandler(Write)
  @Injectable()
  class Handler implements ICommandHandler<Write, StreamOutcome<S>> {
    constructor(readonly commands: StreamCommands) {}

    execute(write: Write): Promise<StreamOutcome<S>> {
      return this.commands.handle(decider, write.id, write.command, write.meta, write.options);
    }
  }
  Object.defineProperty(Handler, 'name', { value: `${name}Handler` });

  writes.set(decider, Write);
  streamWriteHandlers.push(Handler);
  return Write;
}

export const ProfileWrite = streamWrite('ProfileWrite', profileDecider);
export const AccountWrite = streamWrite('AccountWrite', accountDecider);
export const LearnProfileWrite = streamWrite('LearnProfileWrite', learnProfileDecider);
export const PolicyAdoptionWrite = streamWrite('PolicyAdoptionWrite', policyAdoptionDecider);
export const OverrideWrite = streamWrite('OverrideWrite', overrideDecider);
export const ReminderWrite = streamWrite('ReminderWrite', reminderDecider);
export const HolderMessageWrite = streamWrite('HolderMessageWrite', holderMessageDecider);
export const WebhookEndpointWrite = streamWrite('WebhookEndpointWrite', webhookEndpointDecider);
export const RosterExportWrite = streamWrite('RosterExportWrite', rosterExportDecider);

/** The write command of a decider's aggregate, for code generic over deciders (the importer's applier). */
export function writeOf<Id, C, S, E extends DomainEvent, D>(decider: Decider<Id, C, S, E, D>): StreamWriteClass<Id, C, S, D> {
  const write = writes.get(decider) as StreamWriteClass<Id, C, S, D> | undefined;
  if (!write) throw new Error('No write command for this decider: the holding one is HoldingWrite');
  return write;
}
