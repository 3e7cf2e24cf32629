import { Controller, Get, Header, Param, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiParam, ApiProduces, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { Public, setPageSecurityHeaders } from '@recert/kernel';
import { DomainError } from '@recert/domain';
import { VERIFICATION_PAGE_SOURCES, verificationPage } from './verification.page';
import { VerificationQueries } from './verification.queries';

/**
 * R19/R20: public verification, without a token (rate-limited per address like every anonymous request). Unknown,
 * rotated-away, private and malformed ids all get the very same 404, so nothing can be learnt by trying ids.
 */
@ApiTags('verification')
@Controller('verify')
export class VerificationPublicController {
  constructor(private readonly queries: VerificationQueries) {}

  @Get(':verificationId')
  @Public()
  @Header('Cache-Control', 'no-store')
  @Header('Vary', 'Accept')
  @ApiParam({ name: 'verificationId', description: '22 characters of base64url (128 random bits)' })
  @ApiProduces('application/json', 'text/html')
  @ApiOkResponse({
    description: 'certification, holder, status (active, expired, revoked, suspended, never-expires), earned, expires, issuer, asOf',
    content: { 'application/json': { schema: { type: 'object' } }, 'text/html': { schema: { type: 'string' } } },
  })
  async verify(@Param('verificationId') verificationId: string, @Req() request: Request, @Res() response: Response): Promise<void> {
    const verification = await this.queries.verify(verificationId);
    if (!verification) throw new DomainError('VERIFICATION_NOT_FOUND', 'No public verification answers to this id');
    if (request.accepts(['application/json', 'text/html']) === 'text/html') {
      setPageSecurityHeaders(response, VERIFICATION_PAGE_SOURCES);
      response.status(200).type('text/html; charset=utf-8').send(verificationPage(verification));
      return;
    }
    response.status(200).json(verification);
  }
}
