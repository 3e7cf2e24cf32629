import { progressBar } from './replay';

describe('replay progress bar', () => {
  it('#12.12 counts facts and their rate in events, never in positions (bytes on EventStoreDB)', () => {
    // 2,000 facts in 2 s over a log whose positions are byte offsets up to 4,000,000.
    const bar = progressBar(2000, 2_000_000, 4_000_000, 0, 2000);
    expect(bar).toContain(' 50% 2,000 facts, 1,000 facts/s');
    expect(bar).not.toContain('1,000,000');
  });
});
