import type { ArgumentsHost } from '@nestjs/common';
import {
  AppendTooLargeError,
  EventStoreAccessDeniedError,
  EventStoreUnavailableError,
  InvalidPositionError,
  InvalidStoreInputError,
  StreamDeletedError,
} from '@recert/eventstore';
import { ProblemFilter } from './problem.filter';

/** #12.9: only an unreachable store is 503 (retry later); every other store fault has its own answer. */
function answer(exception: unknown): { status: number; body: { code: string; status: number } } {
  const sent = { status: 0, body: '' };
  const response = {
    status(code: number) {
      sent.status = code;
      return response;
    },
    type: () => response,
    setHeader: () => response,
    send(body: string) {
      sent.body = body;
      return response;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  const filter = new ProblemFilter();
  // The 500 path logs the cause; keep the spec output quiet.
  (filter as unknown as { logger: { error: () => void } }).logger = { error: () => undefined };
  filter.catch(exception, host);
  return { status: sent.status, body: JSON.parse(sent.body) as { code: string; status: number } };
}

describe('ProblemFilter and event-store faults', () => {
  it('#12.9 an unreachable store is 503 SERVICE_UNAVAILABLE', () => {
    expect(answer(new EventStoreUnavailableError('down')).body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
  });

  it('#12.9 access denied is a deployment fault: 500 INTERNAL (logged), not 503', () => {
    expect(answer(new EventStoreAccessDeniedError('denied')).body).toMatchObject({ status: 500, code: 'INTERNAL' });
  });

  it('#12.9 a deleted stream is 410 STREAM_DELETED', () => {
    expect(answer(new StreamDeletedError('profile-1')).body).toMatchObject({ status: 410, code: 'STREAM_DELETED' });
  });

  it('R58 input the store refuses as malformed is 400 VALIDATION_FAILED, not 503', () => {
    expect(answer(new InvalidStoreInputError('NUL in text')).body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });

  it('#12.9 a too-large append is 413 PAYLOAD_TOO_LARGE', () => {
    expect(answer(new AppendTooLargeError('profile-1', 1_048_576)).body).toMatchObject({ status: 413, code: 'PAYLOAD_TOO_LARGE' });
  });

  it('#12.9 a position that is not in the log is 400 VALIDATION_FAILED', () => {
    expect(answer(new InvalidPositionError(150)).body).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
  });
});
