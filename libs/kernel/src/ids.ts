import { createHash } from 'node:crypto';

/**
 * A UUID derived from its parts (RFC 9562 version 8 layout over SHA-256). Commands name their events with
 * these so that a retried command produces the same ids and the store drops the repeat.
 */
export function deterministicId(...parts: string[]): string {
  const hash = createHash('sha256').update(parts.join('\u001f')).digest();
  hash[6] = ((hash[6] as number) & 0x0f) | 0x80;
  hash[8] = ((hash[8] as number) & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}
