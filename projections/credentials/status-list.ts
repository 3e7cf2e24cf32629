import { createCipheriv, createHmac } from 'node:crypto';

/** W3C Bitstring Status List: at least 131,072 entries per list, so that one entry hides in the herd. */
export const STATUS_LIST_SIZE = 131_072;
/**
 * `message` (R71): the one entry of every credential issued since #26, two bits, values below. `revocation` and
 * `suspension`: the two one-bit entries of credentials issued before, still served so that those keep their status.
 */
export const STATUS_PURPOSES = ['message', 'revocation', 'suspension'] as const;
export type StatusPurpose = (typeof STATUS_PURPOSES)[number];
export const STATUS_SIZE = 2;
/** R71: the values of a `message` entry (revoked wins: a revocation ends a suspension, R15). */
export const STATUS_MESSAGES = [
  { status: '0x0', message: 'valid' },
  { status: '0x1', message: 'revoked' },
  { status: '0x2', message: 'suspended' },
  { status: '0x3', message: 'undefined' },
] as const;

/**
 * The list a cycle's entry lives in: the global position of the event that started the cycle is unique and never
 * changes, so it names the entry without a counter to allocate: list `floor(p / size)`, and (before R72) index
 * `p mod size`.
 */
export function statusEntryOf(position: number): { list: number; index: number } {
  return { list: Math.floor(position / STATUS_LIST_SIZE), index: position % STATUS_LIST_SIZE };
}

/**
 * R72: the index of a `message` entry is `p mod size` sent through a permutation of the list's 131,072 slots drawn
 * with a secret key (Fisher-Yates driven by AES-256-CTR keyed per list with HMAC-SHA256(key, list)): unique in its
 * list (a permutation), stable (a function of the position and the key, so a rebuild gives the same), and random to
 * whoever lacks the key, so neither the order of issuance nor how many share a list can be read from it
 * (Bitstring Status List, statusListIndex: "SHOULD assign indexes randomly"). A few lists' permutations are kept.
 */
export class StatusIndexes {
  private readonly permutations = new Map<number, Uint32Array>();

  constructor(private readonly key: Buffer) {}

  entryOf(position: number): { list: number; index: number } {
    const { list, index } = statusEntryOf(position);
    return { list, index: this.permutation(list)[index] as number };
  }

  private permutation(list: number): Uint32Array {
    let permutation = this.permutations.get(list);
    if (permutation) {
      this.permutations.delete(list); // most recently used last
      this.permutations.set(list, permutation);
      return permutation;
    }
    const seed = createHmac('sha256', this.key).update(`status list ${list}`).digest();
    const stream = createCipheriv('aes-256-ctr', seed, Buffer.alloc(16)).update(Buffer.alloc(STATUS_LIST_SIZE * 4));
    permutation = new Uint32Array(STATUS_LIST_SIZE);
    for (let i = 0; i < STATUS_LIST_SIZE; i += 1) permutation[i] = i;
    for (let i = STATUS_LIST_SIZE - 1; i > 0; i -= 1) {
      // A 32-bit draw modulo at most 2^17: the bias is below 2^-15, no help to anyone without the key.
      const j = stream.readUInt32BE(i * 4) % (i + 1);
      const swap = permutation[i] as number;
      permutation[i] = permutation[j] as number;
      permutation[j] = swap;
    }
    this.permutations.set(list, permutation);
    if (this.permutations.size > 8) this.permutations.delete(this.permutations.keys().next().value as number);
    return permutation;
  }
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
