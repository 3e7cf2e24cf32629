import { Inject, Injectable } from '@nestjs/common';
import { CLOCK, Clock } from '@recert/kernel';
import { DomainError, SealedData } from '@recert/domain';
import { PERSONAL_DATA_VAULT, PersonalDataVault } from '@recert/renewals';
import { HolderPreferences } from '../i18n/holder-preferences';
import { languageOfAcceptLanguage, zoneOr } from '../i18n/holder-i18n';
import { certificatePdf } from './certificate-pdf';
import { CredentialsService } from './credentials.service';
import { ISSUER_SETTINGS, type IssuerSettings } from './issuer';

/** #13.4: the holder's PDF certificate of the current cycle, stated as the log says now. */
@Injectable()
export class CertificateService {
  constructor(
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(PERSONAL_DATA_VAULT) private readonly vault: PersonalDataVault,
    @Inject(ISSUER_SETTINGS) private readonly settings: IssuerSettings,
    private readonly credentials: CredentialsService,
    private readonly preferences: HolderPreferences,
  ) {}

  /**
   * Refused like the credential (R15 revoked, expired), and when private: its printed link would answer 404 (R19).
   * In the holder's language and zone (#26.4): their preferences, else the request's Accept-Language and UTC.
   */
  async certificate(profileId: string, code: string, acceptLanguage?: string): Promise<Uint8Array> {
    // The profile's personal data comes with the current cycle: no read of its own.
    const { certification, row, status, verificationPrivate, personalData } = await this.credentials.currentCycle(profileId, code);
    if (verificationPrivate)
      throw new DomainError('VERIFICATION_PRIVATE', `The verification of ${code} is private: make it public to print its certificate`);
    // After erasure the key is gone and the vault opens nothing: the certificate names nobody (R19).
    const holderName = (await this.vault.open(JSON.parse(personalData) as SealedData))?.displayName ?? null;
    const chosen = await this.preferences.of(profileId);
    const language = chosen.language ?? languageOfAcceptLanguage(acceptLanguage);
    return certificatePdf({
      holderName,
      certificationName: certification.names?.[language] ?? certification.name,
      level: certification.level,
      status,
      earnedAt: row.earned_at,
      expiresAt: row.expires_at,
      issuerName: this.settings.issuerName,
      verificationUrl: `${this.settings.publicBaseUrl}/verify/${row.verification_id}`,
      asOf: this.clock.now(),
      language,
      timeZone: zoneOr(chosen.timeZone),
    });
  }
}
