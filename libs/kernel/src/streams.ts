/** The one place stream names are made: `<category>-<id>`. */
export function streamName(category: string, id: string): string {
  if (!/^[a-z][a-z0-9]*$/.test(category)) throw new Error(`Bad stream category: ${category}`);
  return `${category}-${id}`;
}

/** Splits `<category>-<id>` at the first dash; ids may contain dashes, categories never do. */
export function parseStreamName(stream: string): { category: string; id: string } {
  const dash = stream.indexOf('-');
  if (dash <= 0) return { category: stream, id: '' };
  return { category: stream.slice(0, dash), id: stream.slice(dash + 1) };
}
