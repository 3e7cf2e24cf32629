/**
 * Waiting for asynchronous work in tests: for a condition, never for a moment or a count of tries, so a spec holds
 * on a loaded machine. The deadline only bounds how long a real hang takes to report; it is generous on purpose.
 */
export const GENEROUS_MS = 60_000;

/** Polls `probe` until it returns a value other than undefined; fails after `timeoutMs` with `what` in the message. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined> | T | undefined,
  timeoutMs = GENEROUS_MS,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
