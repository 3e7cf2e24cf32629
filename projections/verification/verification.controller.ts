import { Controller, Get, Header, Param, Req, Res } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public, setPageSecurityHeaders } from '@recert/kernel';
import { DomainError } from '@recert/domain';
import { badgeSvg } from '../credentials/badge';
import { languageOfAcceptLanguage } from '../i18n/holder-i18n';
import { VERIFICATION_PAGE_SOURCES, verificationNotFoundPage, verificationPage } from './verification.page';
import { VerificationQueries } from './verification.queries';

/**
 * R19/R20: public verification, without a token (rate-limited per address like every anonymous request). Unknown,
 * rotated-away, private and malformed ids all get the very same 404, so nothing can be learnt by trying ids: a
 * problem+json, or for a browser (one that prefers HTML) a page saying so (#26.6). Pages follow Accept-Language.
 */
@ApiTags('verification')
@Controller('verify')
export class VerificationPublicController {
  constructor(private readonly queries: VerificationQueries) {}

  @Get(':verificationId')
  @Public()
  @Header('Cache-Control', 'no-store')
  @Header('Vary', 'Accept, Accept-Language')
  @ApiParam({ name: 'verificationId', description: '22 characters of base64url (128 random bits)' })
  @ApiProduces('application/json', 'text/html')
  @ApiOkResponse({
    description: 'certification, holder, status (active, expired, revoked, suspended, never-expires), earned, expires, issuer, asOf',
    content: { 'application/json': { schema: { type: 'object' } }, 'text/html': { schema: { type: 'string' } } },
  })
  @ApiNotFoundResponse({
    description: 'No public verification answers to this id (unknown, rotated, private): a problem, or for a browser a page',
    content: {
      'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } },
      'text/html': { schema: { type: 'string' } },
    },
  })
  async verify(@Param('verificationId') verificationId: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    const verification = await this.queries.verify(verificationId);
    if (request.accepts(['application/json', 'text/html']) === 'text/html') {
      const language = languageOfAcceptLanguage(request.headers['accept-language']);
      setPageSecurityHeaders(response, VERIFICATION_PAGE_SOURCES);
      response.setHeader('Content-Language', language);
      response.type('text/html; charset=utf-8');
      if (!verification) response.status(404).send(verificationNotFoundPage(language));
      else {
        const code = verification.certification.code;
        const certification = this.queries.certificationOf(code);
        const badge = certification ? badgeSvg(certification) : undefined;
        response.status(200).send(verificationPage(verification, language, this.queries.nameIn(code, language), badge));
      }
      return;
    }
    if (!verification) throw new DomainError('VERIFICATION_NOT_FOUND', 'No public verification answers to this id');
    response.status(200).json(verification);
  }
}
