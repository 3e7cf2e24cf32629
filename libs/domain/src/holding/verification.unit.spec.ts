import { Certification } from '../catalog';
import { catalog, policies, spec } from './testing/fixtures';
import { foldHolding, HeldState, HoldingEvent, snapshotOf } from '.';
import { decideHolding, HoldingCommand, HoldingContext } from '.';

const AA = 'azure-administrator-associate';
const ctx = (now: string): HoldingContext => ({ now: new Date(now), policies, certification: catalog.get(AA) as Certification });

const earn = (earnedAt: string, verificationId: string): HoldingCommand => ({
  type: 'EarnCertification',
  data: { holdingId: `p1.${AA}`, profileId: 'p1', earnedAt: new Date(earnedAt), prerequisiteActive: true, verificationId },
});
function after(events: HoldingEvent[], command: HoldingCommand, now: string): HoldingEvent[] {
  return [...events, ...decideHolding(command, foldHolding(events), ctx(now))];
}
const earned = after([], earn('2024-01-15T09:00:00Z', 'id-cycle-1'), '2024-01-15T09:00:00Z');
const subject = { holdingId: `p1.${AA}`, profileId: 'p1', certificationCode: AA };
const held = (events: HoldingEvent[]): HeldState => foldHolding(events) as HeldState;

describe('holding decider: public verification (R19)', () => {
  it('R19: the earning records the verification id drawn by the handler; a new cycle gets its own', () => {
    expect(earned).toMatchObject([{ type: 'CertificationEarned', data: { verificationId: 'id-cycle-1' } }]);
    const expired = after(earned, { type: 'ExpireHolding' }, '2025-01-15T09:00:00Z');
    const again = after(expired, earn('2025-02-01T00:00:00Z', 'id-cycle-2'), '2025-02-01T00:00:00Z');
    expect(held(again)).toMatchObject({ cycle: 2, verificationId: 'id-cycle-2' });
  });

  it('R19: rotation records the new id and the previous one; rotating to the current id changes nothing', () => {
    spec
      .given(earned)
      .when({ type: 'RotateVerificationId', data: { verificationId: 'id-new' } }, ctx('2024-02-01T00:00:00Z'))
      .then([
        {
          type: 'VerificationIdRotated',
          data: { ...subject, verificationId: 'id-new', previousVerificationId: 'id-cycle-1', rotatedAt: '2024-02-01T00:00:00.000Z' },
        },
      ]);
    spec
      .given(earned)
      .when({ type: 'RotateVerificationId', data: { verificationId: 'id-cycle-1' } }, ctx('2024-02-01T00:00:00Z'))
      .thenNothing();
  });

  it('R19: the holder makes verification private, once; the choice survives a new cycle and a merge', () => {
    const hide: HoldingCommand = { type: 'SetVerificationVisibility', data: { visibility: 'private' } };
    spec
      .given(earned)
      .when(hide, ctx('2024-02-01T00:00:00Z'))
      .then([
        { type: 'VerificationVisibilityChanged', data: { ...subject, visibility: 'private', changedAt: '2024-02-01T00:00:00.000Z' } },
      ]);
    const hidden = after(earned, hide, '2024-02-01T00:00:00Z');
    spec.given(hidden).when(hide, ctx('2024-02-02T00:00:00Z')).thenNothing();
    const revoked = after(hidden, { type: 'RevokeCertification', data: { reason: 'r' } }, '2024-03-01T00:00:00Z');
    const again = after(revoked, earn('2024-04-01T00:00:00Z', 'id-cycle-2'), '2024-04-01T00:00:00Z');
    expect(held(again).verificationPrivate).toBe(true);
    expect(snapshotOf(held(again))).toMatchObject({ verificationId: 'id-cycle-2', verificationPrivate: true });
  });

  it('R19: verification of a holding that does not exist is refused (HOLDING_NOT_FOUND)', () => {
    spec
      .given([])
      .when({ type: 'RotateVerificationId', data: { verificationId: 'x' } }, ctx('2024-01-01T00:00:00Z'))
      .thenThrows('HOLDING_NOT_FOUND');
  });
});
