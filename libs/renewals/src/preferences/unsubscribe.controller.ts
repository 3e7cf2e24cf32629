import { CommandBus } from '@nestjs/cqrs';
import { Controller, Get, Header, HttpCode, Inject, Param, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { randomUUID } from 'node:crypto';
import { Public, settingsProvider } from '@recert/kernel';
import { DomainError, evolveProfile, profileDecider } from '@recert/domain';
import { ProfileWrite } from '../command-handling/aggregate-writes';
import { StreamReader } from '../command-handling/stream-reader';
import { UnsubscribeLinks } from './unsubscribe-links';

const PAGES: Record<string, { title: string; ask: string; button: string; done: string }> = {
  en: {
    title: 'Renewal reminders',
    ask: 'Stop the renewal reminders? You will still be told when your renewal window opens and when your certification changes.',
    button: 'Stop renewal reminders',
    done: 'You will receive no more renewal reminders. Change this on your certification page at any time.',
  },
  'zh-Hant': {
    title: '續證提醒',
    ask: '要停止續證提醒嗎？續證期間開始及認證有變更時，您仍會收到通知。',
    button: '停止續證提醒',
    done: '您將不再收到續證提醒。您隨時可以在認證頁面變更此設定。',
  },
  ja: {
    title: '更新リマインダー',
    ask: '更新リマインダーを停止しますか? 更新期間の開始時と認定資格の変更時には引き続きお知らせします。',
    button: '更新リマインダーを停止する',
    done: '今後、更新リマインダーは届きません。この設定は認定資格のページでいつでも変更できます。',
  },
};

const page = (language: string, body: string): string => {
  const words = PAGES[language] ?? (PAGES['en'] as (typeof PAGES)[string]);
  return `<!doctype html><html lang="${language}"><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${words.title}</title></head><body>${body}</body></html>`;
};

/** What the unsubscribe page reads of the settings (#28.4): the language of a holder who chose none. */
export interface UnsubscribePageSettings {
  messages: { defaultLanguage: string };
}
export const UNSUBSCRIBE_PAGE_SETTINGS = Symbol('UNSUBSCRIBE_PAGE_SETTINGS');
export const unsubscribePageSettings = settingsProvider(
  UNSUBSCRIBE_PAGE_SETTINGS,
  (c): UnsubscribePageSettings => ({ messages: { defaultLanguage: c.messages.defaultLanguage } }),
);

/**
 * R80, R81: the one-click unsubscribe of every holder message (RFC 8058). `POST` (what a mail client sends for
 * `List-Unsubscribe-Post: List-Unsubscribe=One-Click`, whatever its body) records the holder's choice as their
 * reminders preference `none` through the profile decider, with who (the link's holder), when and why; repeating it
 * records nothing. `GET` only shows a button that posts, since mail scanners follow links. The token is the only
 * credential: a token recert did not sign answers 404 `UNSUBSCRIBE_LINK_NOT_FOUND`, an unknown profile 404 too.
 */
@ApiTags('holder messages')
@Controller('unsubscribe')
export class UnsubscribeController {
  constructor(
    private readonly links: UnsubscribeLinks,
    private readonly bus: CommandBus,
    private readonly reader: StreamReader,
    @Inject(UNSUBSCRIBE_PAGE_SETTINGS) private readonly config: UnsubscribePageSettings,
  ) {}

  @Get(':token')
  @Public()
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'A page with one button that stops renewal reminders (RFC 8058 needs the POST)' })
  async show(@Param('token') token: string): Promise<string> {
    const language = await this.languageOf(this.profileOf(token));
    const words = PAGES[language] ?? (PAGES['en'] as (typeof PAGES)[string]);
    return page(
      language,
      `<h1>${words.title}</h1><p>${words.ask}</p><form method="post"><button type="submit">${words.button}</button></form>`,
    );
  }

  @Post(':token')
  @Public()
  @HttpCode(200)
  @Header('Content-Type', 'text/html; charset=utf-8')
  @Header('Cache-Control', 'no-store')
  @ApiOperation({ summary: 'One-click unsubscribe from renewal reminders: the reminders preference becomes none (R80)' })
  async unsubscribe(@Param('token') token: string): Promise<string> {
    // A message sent before its holder's profile was merged away: the choice is the holder's, now on the target.
    const profileId = await this.currentProfileOf(this.profileOf(token));
    const commandId = randomUUID();
    const outcome = await this.bus.execute(
      new ProfileWrite(
        profileId,
        {
          type: 'UnsubscribeFromReminders',
          data: {
            current: { language: this.config.messages.defaultLanguage, timeZone: 'UTC' },
            reason: 'one-click unsubscribe (RFC 8058) from a renewal message',
          },
        },
        { commandId, correlationId: commandId, causationId: commandId, actor: `unsubscribe-link:${profileId}` },
      ),
    );
    const state = outcome.state;
    const language = state.status === 'active' ? (state.preferences?.language ?? this.config.messages.defaultLanguage) : 'en';
    const words = PAGES[language] ?? (PAGES['en'] as (typeof PAGES)[string]);
    return page(language, `<h1>${words.title}</h1><p>${words.done}</p>`);
  }

  private profileOf(token: string): string {
    const profileId = this.links.profileOf(token);
    if (!profileId) throw new DomainError('UNSUBSCRIBE_LINK_NOT_FOUND', 'This unsubscribe link is not one recert sent');
    return profileId;
  }

  private async currentProfileOf(profileId: string): Promise<string> {
    let id = profileId;
    for (let hops = 0; hops < 8; hops += 1) {
      const state = (await this.reader.load(profileDecider.streamOf(id), evolveProfile, profileDecider.initialState)).state;
      if (state.status !== 'closed') return id;
      id = state.mergedInto;
    }
    return id;
  }

  private async languageOf(profileId: string): Promise<string> {
    const state = (await this.reader.load(profileDecider.streamOf(profileId), evolveProfile, profileDecider.initialState)).state;
    if (state.status === 'none') throw new DomainError('UNSUBSCRIBE_LINK_NOT_FOUND', 'This unsubscribe link is not one recert sent');
    return (state.status === 'active' ? state.preferences?.language : undefined) ?? this.config.messages.defaultLanguage;
  }
}
