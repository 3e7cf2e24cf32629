import { Controller, Get, Header, Headers, Inject, Param, Query, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiParam, ApiProduces, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import type { Response } from 'express';
import { assertMayAccessProfile, CurrentPrincipal, Principal, Public, Roles } from '@recert/kernel';
import { Catalog, DomainError } from '@recert/domain';
import { CATALOG, HoldingParams } from '@recert/renewals';
import { badgeSvg } from './badge';
import { ConsistencyQuery, ReadConsistency } from '../runtime/consistency';
import { CertificateService } from './certificate.service';
import { CredentialsService } from './credentials.service';
import { STATUS_PURPOSES, StatusPurpose } from './status-list';

const VC_JWT = 'application/vc+jwt';

export class DocumentQuery extends ConsistencyQuery {
  @ApiPropertyOptional({ enum: ['0', '1'], description: '1: sent as an attachment (Content-Disposition), for a download button' })
  @IsOptional()
  @IsIn(['0', '1'], { message: 'download: 0 or 1' })
  download?: '0' | '1';
}

/** attachment for `?download=1`, else inline: both name the file, so a save keeps a meaningful name. */
function disposition(query: DocumentQuery, filename: string): string {
  return `${query.download === '1' ? 'attachment' : 'inline'}; filename="${filename}"`;
}

/** The holder's document, after the access check and the consistency wait every document answer makes. */
async function sendDocument(
  request: { params: HoldingParams; query: DocumentQuery; principal: Principal; consistency: ReadConsistency; response: Response },
  document: { type: string; filename: string; make: () => Promise<string | Buffer> },
): Promise<void> {
  assertMayAccessProfile(request.principal, request.params.profileId);
  await request.consistency.await(request.query, ['holdings']);
  const body = await document.make();
  request.response
    .status(200)
    .type(document.type)
    .setHeader('Content-Disposition', disposition(request.query, document.filename))
    .send(body);
}

/** #13.3/#13.4: the holder's signed Open Badges 3.0 credential (VC-JWT) and PDF certificate, for the candidate, support, admin. */
@ApiTags('credentials')
@ApiBearerAuth()
@Controller('certification-profiles')
export class CredentialsController {
  constructor(
    private readonly credentials: CredentialsService,
    private readonly certificates: CertificateService,
    private readonly consistency: ReadConsistency,
  ) {}

  @Get(':profileId/certifications/:code/credential')
  @Roles('candidate', 'support', 'admin')
  @Header('Cache-Control', 'no-store')
  @ApiProduces(VC_JWT)
  @ApiOkResponse({
    description: 'An OpenBadgeCredential for the current cycle, as a compact JWS (ES256, typ JWT; Open Badges 3.0 VC-JWT, R70)',
    content: { [VC_JWT]: { schema: { type: 'string' } } },
  })
  async credential(
    @Param() params: HoldingParams,
    @Query() query: DocumentQuery,
    @CurrentPrincipal() principal: Principal,
    @Res() response: Response,
  ): Promise<void> {
    await sendDocument(
      { params, query, principal, consistency: this.consistency, response },
      { type: VC_JWT, filename: `${params.code}.jwt`, make: () => this.credentials.credential(params.profileId, params.code) },
    );
  }

  @Get(':profileId/certifications/:code/certificate.pdf')
  @Roles('candidate', 'support', 'admin')
  @Header('Cache-Control', 'no-store')
  @ApiProduces('application/pdf')
  @ApiOkResponse({
    description:
      'A one-page PDF certificate of the current cycle: holder (none after erasure), certification, earned and expiry dates, issuer, the verification URL and its QR code',
    content: { 'application/pdf': { schema: { type: 'string', format: 'binary' } } },
  })
  async certificate(
    @Param() params: HoldingParams,
    @Query() query: DocumentQuery,
    @CurrentPrincipal() principal: Principal,
    @Res() response: Response,
    @Headers('accept-language') acceptLanguage?: string,
  ): Promise<void> {
    await sendDocument(
      { params, query, principal, consistency: this.consistency, response },
      {
        type: 'application/pdf',
        filename: `${params.code}-certificate.pdf`,
        make: async () => Buffer.from(await this.certificates.certificate(params.profileId, params.code, acceptLanguage)),
      },
    );
  }
}

/** The issuer's identity, the status lists and the badge images: public, so that anyone can verify a credential without recert's help. */
@ApiTags('credentials')
@Controller()
export class IssuerController {
  constructor(
    private readonly credentials: CredentialsService,
    @Inject(CATALOG) private readonly catalog: Catalog,
  ) {}

  @Get('.well-known/did.json')
  @Public()
  @ApiOkResponse({
    description: "The issuer's did:web document: verificationMethod[] (JsonWebKey2020) with publicKeyJwk, every key still in use",
  })
  did(): object {
    return this.credentials.didDocument();
  }

  @Get('credentials/status/:list')
  @Public()
  @Header('Cache-Control', 'no-cache')
  @ApiParam({
    name: 'list',
    example: 'message-0',
    description: '<statusPurpose>-<number>: message (R71; credentials since #26), revocation or suspension (credentials before)',
  })
  @ApiProduces(VC_JWT)
  async statusList(@Param('list') list: string, @Res() response: Response): Promise<void> {
    const match = /^(message|revocation|suspension)-(\d{1,9})$/.exec(list);
    if (!match || !STATUS_PURPOSES.includes(match[1] as StatusPurpose))
      throw new DomainError('VERIFICATION_NOT_FOUND', 'No status list of this name');
    response
      .status(200)
      .type(VC_JWT)
      .send(await this.credentials.statusList(match[1] as StatusPurpose, Number(match[2])));
  }

  @Get('achievements/:code/badge.svg')
  @Public()
  @Header('Cache-Control', 'public, max-age=86400')
  @ApiParam({ name: 'code', example: 'azure-administrator-associate', description: 'a certification code of the catalog' })
  @ApiProduces('image/svg+xml')
  @ApiOkResponse({ description: "The achievement's badge image (R70), named by the credential's achievement.image" })
  badge(@Param('code') code: string, @Res() response: Response): void {
    const certification = this.catalog.get(code);
    if (!certification) throw new DomainError('UNKNOWN_CERTIFICATION', 'No certification of this code in the catalog');
    response
      .status(200)
      .type('image/svg+xml')
      .setHeader('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'")
      .send(badgeSvg(certification));
  }
}
