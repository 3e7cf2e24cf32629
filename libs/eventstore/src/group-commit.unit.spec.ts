import { GroupCommitQueue } from './group-commit';

describe('R162: the group-commit queue both embedded and PostgreSQL stores commit through', () => {
  it('what is queued in one turn goes as one group; what is queued while it commits goes as the next, one at a time', async () => {
    const groups: number[][] = [];
    let release: () => void = () => undefined;
    let committing = 0;
    const queue = new GroupCommitQueue<number>(async (group) => {
      committing += 1;
      expect(committing).toBe(1);
      groups.push(group);
      if (groups.length === 1) await new Promise<void>((resolve) => (release = resolve));
      committing -= 1;
    });
    [1, 2, 3].forEach((item) => queue.push(item));
    while (groups.length === 0) await new Promise((resolve) => setImmediate(resolve));
    queue.push(4);
    queue.push(5);
    expect(queue.size).toBe(2);
    expect(queue.oldest).toBe(4);
    release();
    await queue.drain();
    expect(groups).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    expect(queue.size).toBe(0);
  });

  it('a group carries at most its bound; the rest goes in the next', async () => {
    const groups: number[][] = [];
    const queue = new GroupCommitQueue<number>(async (group) => void groups.push(group), 2);
    [1, 2, 3, 4, 5].forEach((item) => queue.push(item));
    await queue.drain();
    expect(groups).toEqual([[1, 2], [3, 4], [5]]);
  });
});
