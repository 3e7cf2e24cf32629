import { gunzipSync } from 'node:zlib';

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

/**
 * Writes an entry's value (`size` bits, most significant first) at entry `index`: bit `index * size` of the bitstring,
 * bit 0 the left-most of the first byte (Bitstring Status List, 3.3).
 */
export function writeStatus(bits: Buffer, index: number, size: number, value: number): void {
  for (let i = 0; i < size; i += 1) {
    const bit = index * size + i;
    const mask = 0x80 >> (bit & 7);
    const on = ((value >> (size - 1 - i)) & 1) === 1;
    bits[bit >> 3] = on ? (bits[bit >> 3] ?? 0) | mask : (bits[bit >> 3] ?? 0) & ~mask;
  }
}

/** The reverse, for tests and tools: is the bit at `index` set? */
export function statusBitOf(encodedList: string, index: number): boolean {
  const bits = gunzipSync(Buffer.from(encodedList.replace(/^u/, ''), 'base64url'));
  return ((bits[index >> 3] ?? 0) & (0x80 >> (index & 7))) !== 0;
}
