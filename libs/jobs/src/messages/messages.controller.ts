import { Controller, Get, Inject, Query } from '@nestjs/common';
import { ApiBearerAuth, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { CLOCK, Clock, Roles } from '@recert/kernel';
import { CATALOG } from '@recert/renewals';
import { Catalog, DomainError } from '@recert/domain';
import { HOLDER_MESSAGES, HolderMessages, MessageFacts } from './holder-messages';
import { isMessageKind, MESSAGE_KINDS } from './message-templates';

/** The sample holder's zone per language, so a preview shows local dates as a holder there reads them. */
const SAMPLE_ZONES: Record<string, string> = { en: 'Europe/London', 'zh-Hant': 'Asia/Taipei', ja: 'Asia/Tokyo' };

export interface MessagePreview {
  kind: string;
  language: string;
  subject: string;
  text: string;
  html: string;
  /** The message's headers as sent (From, Date, Message-ID, List-Unsubscribe, …), in order. */
  headers: string[];
}

/**
 * #29: a program checks its templates (MESSAGE_TEMPLATES_DIR) by rendering any kind in any language for a sample
 * holder, a certification of the catalog and dates around the clock's now; nothing is sent or stored.
 */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/messages')
export class MessagesController {
  constructor(
    @Inject(HOLDER_MESSAGES) private readonly messages: HolderMessages,
    @Inject(CATALOG) private readonly catalog: Catalog,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('preview')
  @Roles('admin')
  @ApiOperation({ summary: 'Render a holder message for a sample holder (nothing sent)' })
  @ApiQuery({ name: 'kind', enum: MESSAGE_KINDS })
  @ApiQuery({ name: 'language', required: false, description: 'A folder of MESSAGE_TEMPLATES_DIR; default MESSAGE_DEFAULT_LANGUAGE' })
  @ApiQuery({ name: 'certification', required: false, description: 'A catalog code; default the first with preparation modules' })
  async preview(
    @Query('kind') kind?: string,
    @Query('language') language?: string,
    @Query('certification') code?: string,
  ): Promise<MessagePreview> {
    if (typeof kind !== 'string' || !isMessageKind(kind))
      throw new DomainError('VALIDATION_FAILED', `kind: one of ${MESSAGE_KINDS.join(', ')}`);
    const languages = this.messages.templates.languages();
    const chosen = language === undefined ? this.messages.templates.defaultLanguage : languages.find((l) => l === language);
    if (typeof chosen !== 'string') throw new DomainError('VALIDATION_FAILED', `language: one of ${languages.join(', ')}`);
    const certification =
      code === undefined ? (this.catalog.entries.find((entry) => entry.preparation) ?? this.catalog.entries[0]) : this.catalog.get(code);
    if (!certification) throw new DomainError('VALIDATION_FAILED', 'certification: a code of the catalog');
    const now = this.clock.now();
    const day = (days: number): string => new Date(now.getTime() + days * 86_400_000).toISOString();
    const facts: MessageFacts = {
      kind,
      messageId: `preview-${kind}`,
      certification,
      expiresAt: day(30),
      windowOpensAt: day(-152),
      at: now.toISOString(),
      until: kind === 'suspended' ? day(14) : null,
      reason: 'Sample reason <as an admin would write it>',
      offset: 'P30D',
      override: { kind: 'extend-expiry', from: day(30), to: day(120) },
    };
    const composed = await this.messages.compose(
      facts,
      {
        profileId: 'sample',
        to: 'holder@example.com',
        displayName: 'Ada Lovelace',
        language: chosen,
        timeZone: SAMPLE_ZONES[chosen] ?? 'UTC',
        reminders: 'all',
      },
      now,
    );
    const head = composed.raw.toString('utf8').split(/\r\n\r\n/)[0] ?? '';
    return {
      kind,
      language: composed.language,
      subject: composed.subject,
      text: composed.text,
      html: composed.html,
      headers: head.replace(/\r\n[ \t]+/g, ' ').split('\r\n'),
    };
  }
}
