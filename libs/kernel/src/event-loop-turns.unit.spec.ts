import { EventLoopTurns } from './event-loop-turns';

describe('EventLoopTurns (#22.5)', () => {
  it('R47: once its slice has passed, a turn lets an immediate queued before it run; within the slice it returns at once', async () => {
    const order: string[] = [];
    const always = new EventLoopTurns(0);
    setImmediate(() => order.push('immediate'));
    await always.turn();
    order.push('after turn');
    expect(order).toEqual(['immediate', 'after turn']);

    const never = new EventLoopTurns(Number.POSITIVE_INFINITY);
    const seen: string[] = [];
    setImmediate(() => seen.push('immediate'));
    await never.turn();
    seen.push('after turn');
    expect(seen).toEqual(['after turn']);
    await new Promise((resolve) => setImmediate(resolve));
  });
});
