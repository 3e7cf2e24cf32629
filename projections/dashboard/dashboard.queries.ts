import { Inject, Injectable } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { APP_CONFIG, AppConfig, CLOCK, Clock } from '@recert/kernel';
import { CATALOG, PERSONAL_DATA_VAULT, PersonalDataVault, PolicyRegistry } from '@recert/renewals';
import { Catalog, holdingStatusAt, nextAttemptAllowedAt, renewalBlockers, SealedData, withPolicyWindow } from '@recert/domain';
import { heldStateOf, type HoldingRow, type ProfileRow } from '../holdings/holdings.projection';
import type { Dashboard, DashboardCertification, DashboardOverride } from './dashboard.view';
import { READ_DB } from '../runtime/read-db';
import { HoldingsModel } from '../holdings/holdings.model';
import { shareOf } from '../credentials/share';

export type { Dashboard, DashboardCertification } from './dashboard.view';

const DAY_MS = 24 * 3600 * 1000;

@Injectable()
export class DashboardQueries {
  constructor(
    @Inject(READ_DB) private readonly db: Database.Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    private readonly policies: PolicyRegistry,
    private readonly model: HoldingsModel,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  private statements?: {
    generation: string;
    profile: Database.Statement<[string], ProfileRow>;
    holdings: Database.Statement<[string], HoldingRow>;
  };

  /** Prepared once per generation of the holdings model (a blue/green swap changes the tables). */
  private prepared(): NonNullable<DashboardQueries['statements']> {
    const tables = this.model.tables();
    if (this.statements?.generation !== tables.generation) {
      this.statements = {
        generation: tables.generation,
        profile: this.db.prepare<[string], ProfileRow>(`SELECT * FROM ${tables.profiles} WHERE profile_id = ?`),
        holdings: this.db.prepare<[string], HoldingRow>(
          `SELECT * FROM ${tables.holdings} WHERE profile_id = ? AND merged_out = 0 ORDER BY code`,
        ),
      };
    }
    return this.statements;
  }

  async dashboard(profileId: string): Promise<Dashboard | undefined> {
    const statements = this.prepared();
    const profile = statements.profile.get(profileId);
    if (!profile) return undefined;
    const rows = statements.holdings.all(profileId);
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
          name: certification.name,
          names: certification.names ?? {},
          renewalAssessmentUrl: certification.renewalAssessmentUrl ?? null,
          examUrl: certification.examUrl ?? null,
          preparation: certification.preparation ?? {},
          level: certification.level,
          status,
          suspendedUntil: status === 'suspended' ? row.suspended_until : null,
          verificationUrl: row.verification_id ? `${this.config.credentials.publicBaseUrl}/verify/${row.verification_id}` : null,
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
            publicBaseUrl: this.config.credentials.publicBaseUrl,
            issuerName: this.config.credentials.issuerName,
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
