import { Inject, Injectable } from '@nestjs/common';
import type Database from 'better-sqlite3';
import { APP_CONFIG, AppConfig, CLOCK, Clock } from '@recert/kernel';
import { DomainError, SealedData } from '@recert/domain';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '@recert/renewals';
import { HoldingsModel } from '../holdings/holdings.model';
import { HolderPreferences } from '../i18n/holder-preferences';
import { languageOfAcceptLanguage, zoneOr } from '../i18n/holder-i18n';
import { READ_DB } from '../runtime/read-db';
import { certificatePdf } from './certificate-pdf';
import { CredentialsService } from './credentials.service';

/** #13.4: the holder's PDF certificate of the current cycle, stated as the log says now. */
@Injectable()
export class CertificateService {
  constructor(
    @Inject(READ_DB) private readonly db: Database.Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly credentials: CredentialsService,
    private readonly model: HoldingsModel,
    private readonly preferences: HolderPreferences,
  ) {}

  /**
   * Refused like the credential (R15 revoked, expired), and when private: its printed link would answer 404 (R19).
   * In the holder's language and zone (#26.4): their preferences, else the request's Accept-Language and UTC.
   */
  async certificate(profileId: string, code: string, acceptLanguage?: string): Promise<Uint8Array> {
    const { certification, row, status, verificationPrivate } = this.credentials.currentCycle(profileId, code);
    if (verificationPrivate)
      throw new DomainError('VERIFICATION_PRIVATE', `The verification of ${code} is private: make it public to print its certificate`);
    const profile = this.db
      .prepare<[string], { personal_data: string }>(`SELECT personal_data FROM ${this.model.tables().profiles} WHERE profile_id = ?`)
      .get(profileId);
    // After erasure the key is gone and the vault opens nothing: the certificate names nobody (R19).
    const holderName = profile ? ((await this.vault.open(JSON.parse(profile.personal_data) as SealedData))?.displayName ?? null) : null;
    const chosen = await this.preferences.of(profileId);
    const language = chosen.language ?? languageOfAcceptLanguage(acceptLanguage);
    return certificatePdf({
      holderName,
      certificationName: certification.names?.[language] ?? certification.name,
      level: certification.level,
      status,
      earnedAt: row.earned_at,
      expiresAt: row.expires_at,
      issuerName: this.config.credentials.issuerName,
      verificationUrl: `${this.config.credentials.publicBaseUrl}/verify/${row.verification_id}`,
      asOf: this.clock.now(),
      language,
      timeZone: zoneOr(chosen.timeZone),
    });
  }
}
