import { Inject, Injectable } from '@nestjs/common';
import { SignJWT } from 'jose';
import { CLOCK, Clock } from '@recert/kernel';
import { Catalog, Certification, DomainError, holdingIdOf } from '@recert/domain';
import { CATALOG } from '@recert/renewals';
import type { VerificationRow } from '../holdings/holdings.projection';
import { HoldingsModel } from '../holdings/holdings.model';
import { READ_STORE, type ReadStore } from '../runtime/read-store';
import { PublicStatus, statusOfVerification } from '../verification/verification.queries';
import { didWebOf, ISSUER_SETTINGS, issuerProfile, type IssuerSettings, subjectIdOf } from './issuer';
import { ISSUER_KEYS, IssuerKeys } from './issuer-keys';
import { STATUS_MESSAGES, STATUS_SIZE, StatusPurpose } from './status-list';
import { StatusLists } from './status-lists';

const VC_CONTEXT = 'https://www.w3.org/ns/credentials/v2';
const OB_CONTEXT = 'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json';

/** A holding's current cycle, as far as it may be vouched for. */
export interface CurrentCycle {
  certification: Certification;
  row: VerificationRow;
  status: PublicStatus;
  verificationPrivate: boolean;
  /** The profile's sealed personal data (JSON of `SealedData`): the certificate names the holder with it. */
  personalData: string;
}

/** A row of a LEFT JOIN's right side: every column null when nothing joined. */
type NullableRow<T> = { [K in keyof T]: T[K] | null };

/**
 * #13.3 signed credentials: Open Badges 3.0 OpenBadgeCredentials and Bitstring Status List credentials, secured as
 * VC-JWT (EdDSA, Ed25519; ADR 0010) with the issuer's newest key, built from the read model at request time.
 */
@Injectable()
export class CredentialsService {
  constructor(
    @Inject(READ_STORE) private readonly readStore: ReadStore,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(ISSUER_SETTINGS) private readonly settings: IssuerSettings,
    @Inject(ISSUER_KEYS) private readonly keys: IssuerKeys,
    private readonly model: HoldingsModel,
    private readonly statusLists: StatusLists,
  ) {}

  private get base(): string {
    return this.settings.publicBaseUrl;
  }

  get did(): string {
    return didWebOf(this.base);
  }

  /**
   * The DID document: every key, the newest last; old keys stay so earlier credentials keep verifying. R73: the
   * methods are `JsonWebKey2020`, a type did-jwt and other did:web resolvers know (`JsonWebKey` is none).
   */
  didDocument(): object {
    const methods = this.keys.keys.map((key) => ({
      id: `${this.did}#${key.kid}`,
      type: 'JsonWebKey2020',
      controller: this.did,
      publicKeyJwk: { ...key.publicJwk, kid: key.kid },
    }));
    return {
      '@context': ['https://www.w3.org/ns/did/v1', 'https://w3id.org/security/suites/jws-2020/v1'],
      id: this.did,
      verificationMethod: methods,
      assertionMethod: methods.map((method) => method.id),
    };
  }

  /**
   * R70, Open Badges 3.0 "JSON Web Token Proof Format": header `alg` ES256, `kid` the DID URL of the key, `typ` JWT
   * and nothing else; claims `iss` (the issuer's id), `jti` (the credential's id), `nbf` (its validFrom), `exp` (its
   * validUntil, when it has one) and, for an OpenBadgeCredential, `sub` (its subject's id), beside the credential.
   */
  private sign(
    credential: { id: string; validFrom: string; validUntil?: string } & Record<string, unknown>,
    sub?: string,
  ): Promise<string> {
    const key = this.keys.signing;
    const seconds = (iso: string): number => Math.floor(Date.parse(iso) / 1000);
    const jwt = new SignJWT(credential)
      .setProtectedHeader({ alg: key.alg, kid: `${this.did}#${key.kid}`, typ: 'JWT' })
      .setIssuer(this.did)
      .setJti(credential.id)
      .setNotBefore(seconds(credential.validFrom))
      .setIssuedAt(Math.floor(this.clock.now().getTime() / 1000));
    if (credential.validUntil) jwt.setExpirationTime(seconds(credential.validUntil));
    if (sub) jwt.setSubject(sub);
    return jwt.sign(key.privateKey);
  }

  statusListUrl(purpose: StatusPurpose, list: number): string {
    return `${this.base}/credentials/status/${purpose}-${list}`;
  }

  /**
   * The current cycle of a holding that may be vouched for (credential, PDF certificate): refused when the profile,
   * the holding or its verification row is missing, when revoked (R15) or expired. One statement (the profile, its
   * holding of the code, the holding's verification row), which also brings the profile's sealed personal data.
   */
  async currentCycle(profileId: string, code: string): Promise<CurrentCycle> {
    const certification = this.catalog.get(code);
    if (!certification) throw new DomainError('UNKNOWN_CERTIFICATION', `No certification ${code} in the catalog`);
    const tables = this.model.tables();
    const [found] = await this.readStore.query<NullableRow<VerificationRow> & { personal_data: string; holding_private: number | null }>(
      `SELECT v.*, p.personal_data, h.verification_private AS holding_private
         FROM ${tables.profiles} p
         LEFT JOIN ${tables.holdings} h ON h.holding_id = ? AND h.merged_out = 0
         LEFT JOIN ${tables.verifications} v ON v.verification_id = h.verification_id
        WHERE p.profile_id = ?`,
      [holdingIdOf(profileId, code), profileId],
    );
    if (!found) throw new DomainError('PROFILE_NOT_FOUND', `No certification profile ${profileId}`);
    const { personal_data: personalData, holding_private: holdingPrivate, ...verification } = found;
    if (verification.verification_id === null) throw new DomainError('HOLDING_NOT_FOUND', `The profile holds no credential for ${code}`);
    const row = verification as VerificationRow;
    const status = statusOfVerification(row, certification.level, this.clock.now());
    if (status === 'revoked') throw new DomainError('HOLDING_REVOKED', `${code} was revoked: there is no credential to issue (R15)`);
    if (status === 'expired') throw new DomainError('CERTIFICATION_EXPIRED', `${code} expired at ${row.expires_at}`);
    // R19: the holding's current choice counts, as on GET /verify.
    return { certification, row, status, verificationPrivate: row.private === 1 || holdingPrivate === 1, personalData };
  }

  /**
   * The holder's current cycle as an OpenBadgeCredential, VC-JWT (R70): valid for 1EdTech's JSON schema, one status
   * entry (R71) at a random index (R72), a subject id, the achievement's badge image.
   */
  async credential(profileId: string, code: string): Promise<string> {
    const { certification, row } = await this.currentCycle(profileId, code);
    const { list, index } = this.statusLists.indexes.entryOf(row.status_position);
    const verificationUrl = `${this.base}/verify/${row.verification_id}`;
    const listUrl = this.statusListUrl('message', list);
    const subjectId = subjectIdOf(row.verification_id);
    // NumericDate claims are whole seconds and must equal validFrom/validUntil: both are cut to the second.
    const wholeSeconds = (iso: string): string => new Date(Math.floor(Date.parse(iso) / 1000) * 1000).toISOString();
    const validFrom = wholeSeconds(row.earned_at);
    const validUntil = row.expires_at ? wholeSeconds(row.expires_at) : undefined;
    const achievementUrl = `${this.base}/achievements/${certification.code}`;
    const credential = {
      '@context': [VC_CONTEXT, OB_CONTEXT],
      id: `${verificationUrl}#cycle-${row.cycle}`,
      type: ['VerifiableCredential', 'OpenBadgeCredential'],
      issuer: issuerProfile(this.base, this.settings.issuerName),
      name: certification.name,
      validFrom,
      ...(validUntil ? { validUntil } : {}),
      awardedDate: row.earned_at,
      credentialSubject: {
        id: subjectId,
        type: ['AchievementSubject'],
        // The public verification id, not the profile id: nothing about the holder's account leaves in the credential.
        identifier: [{ type: 'IdentityObject', identityType: 'identifier', hashed: false, identityHash: row.verification_id }],
        achievement: {
          id: achievementUrl,
          type: ['Achievement'],
          achievementType: 'Certification',
          name: certification.name,
          description: `${certification.name} (${certification.level})`,
          criteria: {
            narrative: `Pass the ${certification.code} exam; renew by passing the free renewal assessment in the renewal window.`,
          },
          image: { id: `${achievementUrl}/badge.svg`, type: 'Image', caption: `${certification.name} badge` },
        },
      },
      evidence: [{ id: verificationUrl, type: ['Evidence'], name: 'Public verification of this certification' }],
      credentialStatus: {
        id: `${listUrl}#${index}`,
        type: 'BitstringStatusListEntry',
        statusPurpose: 'message',
        statusListIndex: String(index),
        statusListCredential: listUrl,
        statusSize: STATUS_SIZE,
        statusMessage: STATUS_MESSAGES,
        statusReference: verificationUrl,
      },
    };
    return this.sign(credential, subjectId);
  }

  /**
   * A BitstringStatusListCredential, VC-JWT: the bits of the entries revoked, or suspended now (R17: until counts).
   * Signed once per encoding (#22.4): its `validFrom` is the instant the list last changed or a suspension ended.
   */
  async statusList(purpose: StatusPurpose, list: number): Promise<string> {
    const encoded = await this.statusLists.encoded(purpose, list);
    if (!encoded.signed) {
      const url = this.statusListUrl(purpose, list);
      encoded.signed = this.sign({
        '@context': [VC_CONTEXT],
        id: url,
        type: ['VerifiableCredential', 'BitstringStatusListCredential'],
        issuer: this.did,
        validFrom: new Date(encoded.from).toISOString(),
        credentialSubject: {
          id: `${url}#list`,
          type: 'BitstringStatusList',
          statusPurpose: purpose,
          encodedList: encoded.value,
          // The spec's list-side names for a multi-bit list (2.2: statusSize, statusMessages).
          ...(purpose === 'message' ? { statusSize: STATUS_SIZE, statusMessages: STATUS_MESSAGES } : {}),
        },
      }).catch((error: unknown) => {
        encoded.signed = undefined; // not kept: the next request signs again
        throw error;
      });
    }
    return encoded.signed;
  }
}
