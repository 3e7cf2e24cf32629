import { randomBytes } from 'node:crypto';

/**
 * R19: a public verification id: 128 random bits, base64url (22 characters). Random, so drawn by handlers and
 * passed to the decider in the command; nothing about the holder or the holding can be derived from it.
 */
export function newVerificationId(): string {
  return randomBytes(16).toString('base64url');
}

/** The shape of an id `newVerificationId` draws: anything else is answered like an unknown id. */
export const VERIFICATION_ID = /^[A-Za-z0-9_-]{22}$/;
