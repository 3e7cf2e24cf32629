import { streamName } from '@recert/kernel/pure';
import { holdingIdOf } from './holding/holding';

/** Stream names of recert's categories, each from one helper. */
export const profileStream = (profileId: string): string => streamName('profile', profileId);
export const holdingStream = (profileId: string, code: string): string => streamName('holding', holdingIdOf(profileId, code));
export const accountStream = (accountId: string): string => streamName('account', accountId);
export const learnProfileStream = (learnProfileId: string): string => streamName('learnprofile', learnProfileId);
export const policyStream = (): string => streamName('policy', 'adoptions');
/** Renewal reminders of one holding (#14.4): beside its stream, so the holding's decider stays as it is. */
export const remindersStream = (holdingId: string): string => streamName('reminders', holdingId);
/** Status messages to the holder of one holding (#29): which were sent or dropped, by message id. */
export const holderMessagesStream = (holdingId: string): string => streamName('messages', holdingId);
/** One outbound webhook endpoint's registration (#14.5). */
export const webhookStream = (endpointId: string): string => streamName('webhook', endpointId);
export const overrideStream = (overrideId: string): string => streamName('override', overrideId);
