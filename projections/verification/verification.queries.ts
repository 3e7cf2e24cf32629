import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock } from '@recert/kernel';
import { Catalog, Certification, HeldState, holdingStatusAt, SealedData } from '@recert/domain';
import { CATALOG, PERSONAL_DATA_VAULT, PersonalDataVault, VERIFICATION_ID } from '@recert/renewals';
import { ISSUER_SETTINGS, issuerProfile, IssuerProfile, type IssuerSettings } from '../credentials/issuer';
import type { VerificationRow } from '../holdings/holdings.projection';
import { HoldingsModel } from '../holdings/holdings.model';
import { READ_STORE, type ReadStore } from '../runtime/read-store';

/** R20: what a third party may learn: renewal windows are the holder's business, so no `renewal-open`. */
export type PublicStatus = 'active' | 'expired' | 'revoked' | 'suspended' | 'never-expires';

export interface Verification {
  verificationId: string;
  certification: { code: string; name: string; level: string };
  /** Null once the holder's personal data was erased. */
  holder: { displayName: string | null };
  status: PublicStatus;
  earnedAt: string;
  expiresAt: string | null;
  issuer: IssuerProfile;
  asOf: string;
}

/** A verification row back into the decider's state, so the public status follows the very rules that decide. */
export function statusOfVerification(row: VerificationRow, level: HeldState['level'], at: Date): PublicStatus {
  const status = holdingStatusAt(
    {
      status: 'held',
      holdingId: row.holding_id,
      profileId: row.profile_id,
      certificationCode: row.code,
      mergeIds: [],
      level,
      cycle: row.cycle,
      earnedAt: row.earned_at,
      expiresAt: row.expires_at,
      expired: row.expired === 1,
      window: null,
      revoked: row.revoked === 1,
      suspension: row.suspended_since ? { since: row.suspended_since, until: row.suspended_until } : null,
    },
    at,
  );
  return status === 'renewal-open' ? 'active' : status;
}

/** R19/R20: public verification by id, status computed with the clock at read time. */
@Injectable()
export class VerificationQueries {
  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(ISSUER_SETTINGS) private readonly settings: IssuerSettings,
    private readonly model: HoldingsModel,
  ) {}

  /**
   * The public row of an id: undefined when unknown, rotated away, or private (the holding's current choice counts).
   * One statement per request (the SQLite adapter keeps it prepared, by its text: one per holdings generation).
   */
  async row(verificationId: string): Promise<(VerificationRow & { personal_data: string | null }) | undefined> {
    if (!VERIFICATION_ID.test(verificationId)) return undefined;
    const tables = this.model.tables();
    const [row] = await this.readStore.query<VerificationRow & { personal_data: string | null }>(
      `SELECT v.*, p.personal_data FROM ${tables.verifications} v
       LEFT JOIN ${tables.holdings} h ON h.holding_id = v.holding_id
       LEFT JOIN ${tables.profiles} p ON p.profile_id = v.profile_id
       WHERE v.verification_id = ? AND v.retired = 0 AND v.private = 0 AND COALESCE(h.verification_private, 0) = 0`,
      [verificationId],
    );
    return row;
  }

  async verify(verificationId: string): Promise<Verification | undefined> {
    const row = await this.row(verificationId);
    if (!row) return undefined;
    const certification = this.catalog.get(row.code);
    if (!certification) return undefined;
    const now = this.clock.now();
    const sealed = row.personal_data ? (JSON.parse(row.personal_data) as SealedData) : undefined;
    return {
      verificationId: row.verification_id,
      certification: { code: certification.code, name: certification.name, level: certification.level },
      holder: { displayName: sealed ? ((await this.vault.open(sealed))?.displayName ?? null) : null },
      status: statusOfVerification(row, certification.level, now),
      earnedAt: row.earned_at,
      expiresAt: row.expires_at,
      issuer: issuerProfile(this.settings.publicBaseUrl, this.settings.issuerName),
      asOf: now.toISOString(),
    };
  }

  /** The catalog's entry for a code (the badge is drawn from it). */
  certificationOf(code: string): Certification | undefined {
    return this.catalog.get(code);
  }

  /** The certification's catalog name in a language, else its name. */
  nameIn(code: string, language: string): string {
    const certification = this.catalog.get(code);
    return certification?.names?.[language] ?? certification?.name ?? code;
  }

  /** The absolute link of an id (dashboard, PDF, LinkedIn). */
  urlOf(verificationId: string): string {
    return `${this.settings.publicBaseUrl}/verify/${verificationId}`;
  }
}
