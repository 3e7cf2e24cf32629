import { gunzipSync, gzipSync } from 'node:zlib';

/** W3C Bitstring Status List: at least 131,072 entries (16 KB) per list, so that one entry hides in the herd. */
export const STATUS_LIST_SIZE = 131_072;
export const STATUS_PURPOSES = ['revocation', 'suspension'] as const;
export type StatusPurpose = (typeof STATUS_PURPOSES)[number];

/**
 * Where a cycle's entry lives: the global position of the event that started the cycle is unique and never
 * changes, so it names the entry without a counter to allocate: list `floor(p / size)`, index `p mod size`.
 */
export function statusEntryOf(position: number): { list: number; index: number } {
  return { list: Math.floor(position / STATUS_LIST_SIZE), index: position % STATUS_LIST_SIZE };
}

/** The bitstring with `indexes` set (index 0 is the left-most bit of the first byte), gzipped, multibase base64url. */
export function encodeStatusList(indexes: Iterable<number>, size = STATUS_LIST_SIZE): string {
  const bits = Buffer.alloc(size / 8);
  for (const index of indexes) bits[index >> 3] = (bits[index >> 3] ?? 0) | (0x80 >> (index & 7));
  return `u${gzipSync(bits).toString('base64url')}`;
}

/** The reverse, for tests and tools: is the bit at `index` set? */
export function statusBitOf(encodedList: string, index: number): boolean {
  const bits = gunzipSync(Buffer.from(encodedList.replace(/^u/, ''), 'base64url'));
  return ((bits[index >> 3] ?? 0) & (0x80 >> (index & 7))) !== 0;
}
