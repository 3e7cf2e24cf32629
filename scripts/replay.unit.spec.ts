import { progressBar } from './replay';

describe('replay progress bar', () => {
  it('#12.12 shows the share, count and rate of facts replayed in events, never in positions (bytes on EventStoreDB)', () => {
    // 2,000 of 8,000 facts in 2 s.
    const bar = progressBar(2000, 8000, 0, 2000);
    expect(bar).toContain(' 25% 2,000 facts, 1,000 facts/s');
    expect(progressBar(0, 0, 0, 1000)).toContain('100%');
  });
});
