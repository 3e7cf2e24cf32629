import { Inject, Injectable } from '@nestjs/common';
import { AppConfig, CLOCK, Clock, settingsProvider } from '@recert/kernel';
import { CATALOG, PERSONAL_DATA_VAULT, PersonalDataVault, PolicyRegistry } from '@recert/renewals';
import { Catalog, holdingStatusAt, nextAttemptAllowedAt, renewalBlockers, SealedData, withPolicyWindow } from '@recert/domain';
import { heldStateOf, type HoldingRow, type ProfileRow } from '../holdings/holdings.projection';
import type { Dashboard, DashboardCertification, DashboardOverride } from './dashboard.view';
import { READ_STORE, ReadStore } from '../runtime/read-store';
import { HoldingsModel } from '../holdings/holdings.model';
import { shareOf } from '../credentials/share';

export type { Dashboard, DashboardCertification } from './dashboard.view';

const DAY_MS = 24 * 3600 * 1000;

/** What the dashboard reads of the settings: the public links and the issuer's name on shares. */
export type DashboardSettings = Pick<AppConfig['credentials'], 'publicBaseUrl' | 'issuerName'>;
export const DASHBOARD_SETTINGS = Symbol('DASHBOARD_SETTINGS');
export const dashboardSettings = settingsProvider(
  DASHBOARD_SETTINGS,
  (config): DashboardSettings => ({ publicBaseUrl: config.credentials.publicBaseUrl, issuerName: config.credentials.issuerName }),
);

@Injectable()
export class DashboardQueries {
  constructor(
    @Inject(READ_STORE) private readonly reads: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    private readonly policies: PolicyRegistry,
    private readonly model: HoldingsModel,
    @Inject(DASHBOARD_SETTINGS) private readonly settings: DashboardSettings,
  ) {}

  private sql?: { generation: string; profile: string; holdings: string };

  /** The statements of the serving generation of the holdings model (a blue/green swap changes the tables). */
  private statements(): { profile: string; holdings: string } {
    const tables = this.model.tables();
    if (this.sql?.generation !== tables.generation) {
      this.sql = {
        generation: tables.generation,
        profile: `SELECT * FROM ${tables.profiles} WHERE profile_id = ?`,
        holdings: `SELECT * FROM ${tables.holdings} WHERE profile_id = ? AND merged_out = 0 ORDER BY code`,
      };
    }
    return this.sql;
  }

  async dashboard(profileId: string): Promise<Dashboard | undefined> {
    const statements = this.statements();
    // Both asked at once: on read.db they then run in the same turn, so no projected page falls between them.
    const [[profile], rows] = await Promise.all([
      this.reads.query<ProfileRow>(statements.profile, [profileId]),
      this.reads.query<HoldingRow>(statements.holdings, [profileId]),
    ]);
    if (!profile) return undefined;
    const now = this.clock.now();
    const linked = profile.linked_learn_profile_id !== null;
    const book = this.policies.book();
    const policy = book.atOrFirst(now);
    const certifications = rows.flatMap((row): DashboardCertification[] => {
      const certification = this.catalog.get(row.code);
      if (!certification) return [];
      const state = withPolicyWindow(heldStateOf(row), book);
      const status = holdingStatusAt(state, now);
      const blockers = renewalBlockers(state, { now, policies: book, certification }, { profileLinked: linked }).map((b) => b.code);
      const next = nextAttemptAllowedAt(state, policy);
      return [
        {
          code: row.code,
          exam: certification.exam,
          name: certification.name,
          names: certification.names ?? {},
          renewalAssessmentUrl: certification.renewalAssessmentUrl ?? null,
          examUrl: certification.examUrl ?? null,
          preparation: certification.preparation ?? {},
          level: certification.level,
          status,
          suspendedUntil: status === 'suspended' ? row.suspended_until : null,
          verificationUrl: row.verification_id ? `${this.settings.publicBaseUrl}/verify/${row.verification_id}` : null,
          verificationPrivate: row.verification_private === 1,
          share: shareOf({
            profileId: row.profile_id,
            code: row.code,
            certificationName: certification.name,
            status,
            verificationId: row.verification_id,
            verificationPrivate: row.verification_private === 1,
            earnedAt: row.earned_at,
            expiresAt: row.expires_at,
            publicBaseUrl: this.settings.publicBaseUrl,
            issuerName: this.settings.issuerName,
          }),
          earnedAt: row.earned_at,
          expiresAt: row.expires_at,
          renewalWindowOpensAt: state.window?.opensAt ?? null,
          daysUntilExpiry: row.expires_at === null ? null : Math.max(0, Math.ceil((Date.parse(row.expires_at) - now.getTime()) / DAY_MS)),
          cycle: row.cycle,
          attempts: status === 'renewal-open' ? row.attempts : 0,
          lastAttemptAt: row.last_attempt_at,
          nextAttemptAllowedAt: status === 'renewal-open' && next && next.getTime() > now.getTime() ? next.toISOString() : null,
          canAttemptNow: blockers.length === 0,
          blockedBy: blockers,
          importedFrom: row.imported_from ? (JSON.parse(row.imported_from) as { system: string; sourceId: string }) : null,
          // R26: an override is shown as such, with both admins and the reason.
          override: row.last_override === null ? null : (JSON.parse(row.last_override) as DashboardOverride),
        },
      ];
    });
    const sealed = JSON.parse(profile.personal_data) as SealedData;
    return {
      profile: {
        profileId: profile.profile_id,
        displayName: (await this.vault.open(sealed))?.displayName ?? null,
        linkedLearnProfileId: profile.linked_learn_profile_id,
        status: profile.status,
        mergedInto: profile.merged_into,
      },
      certifications,
      asOf: now.toISOString(),
      position: Math.max(profile.last_position, ...rows.map((row) => row.last_position)),
    };
  }
}
