import { join } from 'node:path';
import { SqliteEventStore } from '@recert/eventstore';
import { ManualClock, projectRoot } from '@recert/kernel';
import { accountDecider, DomainError, HoldingCommand, holdingStream, profileDecider } from '@recert/domain';
import { loadCatalog, loadPolicyBook } from '../config-files';
import { ProfileReader } from '../profile/profile.reader';
import { PolicyRegistry } from '../renewals.tokens';
import { AccountWrite, ProfileWrite, streamWriteHandlers, writeOf } from './aggregate-writes';
import { HoldingHandler, HoldingWrite } from './holding-handler';
import { StreamCommands } from './stream-commands';
import { StreamReader } from './stream-reader';

describe('R153 (#28.1): every write of a holding through one handler, the preamble written once', () => {
  const root = projectRoot();
  const AA = 'azure-administrator-associate';
  const meta = { commandId: 'hh-1', correlationId: 'c', causationId: 'c', actor: 'test' };
  const earn = (profileId: string): HoldingCommand => ({
    type: 'EarnCertification',
    data: { holdingId: `${profileId}.${AA}`, profileId, earnedAt: new Date('2026-01-01T00:00:00Z'), prerequisiteActive: true },
  });

  function setUp(): { store: SqliteEventStore; commands: StreamCommands; handler: HoldingHandler } {
    const store = new SqliteEventStore({ file: ':memory:' });
    const commands = new StreamCommands(store, new ManualClock(new Date('2026-01-02T00:00:00Z')));
    const policies = new PolicyRegistry(loadPolicyBook(join(root, 'config', 'policy.json')));
    const catalog = loadCatalog(join(root, 'config', 'catalog.json'));
    return { store, commands, handler: new HoldingHandler(commands, new ProfileReader(new StreamReader(commands)), policies, catalog) };
  }

  it('R153: a missing profile is PROFILE_NOT_FOUND (checked first), a code not in the catalog UNKNOWN_CERTIFICATION; both store nothing', async () => {
    const { store, handler } = setUp();
    const unknown = await handler
      .execute(new HoldingWrite({ profileId: 'p1', certificationCode: 'no-such' }, earn('p1'), meta, { activeProfile: false }))
      .catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(DomainError);
    expect((unknown as DomainError).code).toBe('UNKNOWN_CERTIFICATION');
    const missing = await handler
      .execute(new HoldingWrite({ profileId: 'p1', certificationCode: AA }, earn('p1'), meta))
      .catch((e: unknown) => e);
    expect((missing as DomainError).code).toBe('PROFILE_NOT_FOUND');
    expect(await store.headPosition()).toBe(0);
  });

  it('R153: on an active profile the holding decider decides and appends; a job or process may skip the profile check', async () => {
    const { commands, handler } = setUp();
    const personalData = { keyId: 'k', iv: 'i', tag: 't', ciphertext: 'c' };
    await commands.handle(
      profileDecider,
      'p2',
      { type: 'CreateProfile', data: { profileId: 'p2', accountId: 'a2', accountType: 'personal', personalData } },
      meta,
    );
    const earned = await handler.execute(new HoldingWrite({ profileId: 'p2', certificationCode: AA }, earn('p2'), meta));
    expect(earned.events.map((e) => e.type)).toEqual(['CertificationEarned']);
    expect(earned.events[0]?.stream).toBe(holdingStream('p2', AA));
    // No profile at all: refused with the check, decided without it (what the deadlines, merges and overrides do).
    const unchecked = await handler.execute(
      new HoldingWrite({ profileId: 'p3', certificationCode: AA }, earn('p3'), meta, { activeProfile: false }),
    );
    expect(unchecked.events.map((e) => e.type)).toEqual(['CertificationEarned']);
  });

  it('R153: each other aggregate has one write command, found by its decider; its class name is the metrics label', () => {
    expect(writeOf(profileDecider)).toBe(ProfileWrite);
    expect(writeOf(accountDecider)).toBe(AccountWrite);
    expect(new ProfileWrite('p', { type: 'CreateProfile' } as never, meta).constructor.name).toBe('ProfileWrite');
    expect(streamWriteHandlers.map((handler) => handler.name)).toContain('ProfileWriteHandler');
  });
});
