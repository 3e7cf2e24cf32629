import type { RecordedEvent } from '@recert/kernel/pure';
import { currentSchemaVersion, upcast } from './upcasting';

const attempt = (data: Record<string, string | boolean>, schemaVersion?: number): RecordedEvent => ({
  id: 'e-1',
  type: 'AssessmentAttempted',
  data,
  stream: 'holding-p.c',
  revision: 0,
  position: 1,
  recordedAt: '2025-01-01T00:00:00Z',
  metadata: {
    correlationId: 'c',
    causationId: 'c',
    actor: 't',
    occurredAt: '2025-01-01T00:00:00Z',
    ...(schemaVersion ? { schemaVersion } : {}),
  },
});

describe('upcasting', () => {
  it('#17.3/R14: the version written today is derived from the upcaster table: one past its last step', () => {
    expect(currentSchemaVersion('AssessmentAttempted')).toBe(2);
    expect(currentSchemaVersion('CertificationEarned')).toBe(1);
  });

  it('R13/R14: a v1 attempt is read as the current version, with English as its language; a current one is left as is', () => {
    const read = upcast(attempt({ passed: true }));
    expect(read.data).toEqual({ passed: true, language: 'en' });
    expect(read.metadata.schemaVersion).toBe(currentSchemaVersion('AssessmentAttempted'));
    const current = attempt({ passed: true, language: 'fr' }, 2);
    expect(upcast(current)).toBe(current);
  });
});
