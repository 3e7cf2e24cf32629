import { PassThrough } from 'node:stream';
import { prettyDestination } from './logging';

describe('LOG_FORMAT=pretty', () => {
  it('#12: turns a JSON line into time, level, context, message and the other fields', () => {
    const out = new PassThrough();
    let text = '';
    out.on('data', (chunk: Buffer) => (text += chunk.toString()));
    prettyDestination(out).write(
      `${JSON.stringify({ level: 40, time: Date.parse('2026-01-01T10:11:12.345Z'), pid: 1, hostname: 'h', context: 'Worker', msg: 'slow', reqId: 'r-1' })}\n`,
    );
    expect(text).toBe('10:11:12.345 WARN [Worker] slow {"reqId":"r-1"}\n');
  });
});
