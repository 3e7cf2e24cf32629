import { cpSync, mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { simpleParser } from 'mailparser';
import { Catalog } from '@recert/domain';
import { HolderMessages, MessageFacts, MessageRecipient } from './holder-messages';
import { MESSAGE_KINDS, MessageKind, MessageTemplates } from './message-templates';

const TEMPLATES = join(__dirname, '..', '..', '..', '..', 'config', 'messages');
const catalog = Catalog.parse([
  {
    code: 'azure-developer-associate',
    exam: 'AZ-204',
    name: 'Microsoft Certified: Azure Developer Associate',
    level: 'associate',
    languages: ['en'],
    names: { 'zh-Hant': 'Microsoft 認證：Azure 開發人員助理', ja: 'Microsoft 認定資格: Azure Developer Associate' },
    renewalAssessmentUrl: 'https://learn.example/{language}/renew/{code}',
    examUrl: 'https://learn.example/{language}/exam/{code}',
    preparation: {
      en: [{ title: 'Implement <Azure> Functions & more', url: 'https://learn.example/en/m/functions', minutes: 40 }],
      'zh-Hant': [{ title: '實作 Azure Functions', url: 'https://learn.example/zh-Hant/m/functions', minutes: 40 }],
      ja: [{ title: 'Azure Functions を実装する', url: 'https://learn.example/ja/m/functions', minutes: 40 }],
    },
  },
]);
const certification = catalog.get('azure-developer-associate') as NonNullable<ReturnType<Catalog['get']>>;
const now = new Date('2026-12-02T20:00:00.000Z');
const messages = (dir = TEMPLATES, language = 'en'): HolderMessages =>
  new HolderMessages(MessageTemplates.load(dir, language), {
    from: 'recert <no-reply@recert.example>',
    publicBaseUrl: 'https://recert.example',
    unsubscribeUrl: (profileId) => `https://recert.example/unsubscribe/u1.${profileId}.sig`,
  });
const holder = (language: string | null, timeZone = 'UTC'): MessageRecipient => ({
  profileId: 'p-1',
  to: 'ada@example.com',
  displayName: 'Ada <Lovelace>',
  language,
  timeZone,
  reminders: 'all',
});
const factsOf = (kind: MessageKind): MessageFacts => ({
  kind,
  messageId: `m-${kind}`,
  certification,
  expiresAt: '2027-01-01T20:00:00.000Z',
  windowOpensAt: '2026-07-01T20:00:00.000Z',
  at: '2026-12-01T23:30:00.000Z',
  until: kind === 'suspended' ? '2027-02-01T00:00:00.000Z' : null,
  reason: 'Exam <b>misconduct</b>',
  offset: 'P30D',
  override: { kind: 'extend-expiry', from: '2027-01-01T20:00:00.000Z', to: '2027-04-01T20:00:00.000Z' },
});

/** What each language must say for each kind: one phrase of its own, so a fallback to English shows. */
const PHRASES: Record<string, Record<MessageKind, string>> = {
  en: {
    'window-open': 'can be renewed now',
    reminder: '30 days left to renew',
    expired: 'has expired',
    revoked: 'was revoked',
    suspended: 'is suspended',
    reinstated: 'is reinstated',
    'override-applied': 'A change was made',
  },
  'zh-Hant': {
    'window-open': '現在可以續證了',
    reminder: '距離續證期限還有 30 天',
    expired: '已到期',
    revoked: '已被撤銷',
    suspended: '已被暫停',
    reinstated: '已恢復',
    'override-applied': '已有變更',
  },
  ja: {
    'window-open': '今すぐ更新できます',
    reminder: '更新期限まであと 30 日',
    expired: '有効期限が切れました',
    revoked: '取り消されました',
    suspended: '一時停止されました',
    reinstated: '復元されました',
    'override-applied': '変更がありました',
  },
};

describe('holder messages (#29)', () => {
  for (const language of ['en', 'zh-Hant', 'ja']) {
    for (const kind of MESSAGE_KINDS) {
      it(`R82: ${kind} in ${language}: multipart/alternative, both parts in the language, headers, links`, async () => {
        const composed = await messages().compose(factsOf(kind), holder(language, 'Asia/Taipei'), now);
        const mail = await simpleParser(composed.raw);
        expect(composed.language).toBe(language);
        expect(mail.subject).toContain(PHRASES[language]?.[kind]);
        expect(mail.headers.get('content-type')).toMatchObject({ value: 'multipart/alternative' });
        expect(mail.headers.get('content-language')).toBe(language);
        expect(mail.messageId).toBe(`<m-${kind}@recert>`);
        expect(mail.date?.toISOString()).toBe(now.toISOString());
        expect(mail.from?.value).toEqual([{ address: 'no-reply@recert.example', name: 'recert' }]);
        // RFC 8058 (mailparser groups the List-* headers): the signed link, and the one-click POST.
        expect(mail.headerLines.filter((line) => line.key.startsWith('list-')).map((line) => line.line)).toEqual([
          'List-Unsubscribe: <https://recert.example/unsubscribe/u1.p-1.sig>',
          'List-Unsubscribe-Post: List-Unsubscribe=One-Click',
        ]);
        expect(mail.text).toContain('https://recert.example/dashboard');
        expect(mail.html).toContain('href="https://recert.example/dashboard"');
        expect(mail.html).toContain(`lang="${language}"`);
        // Ended holdings link the exam that earns them again, the others the renewal assessment.
        if (kind === 'expired' || kind === 'revoked') {
          expect(mail.text).toContain(`https://learn.example/${language}/exam/azure-developer-associate`);
          expect(mail.text).not.toContain('/renew/');
        } else {
          expect(mail.text).toContain(`https://learn.example/${language}/renew/azure-developer-associate`);
          expect(mail.text).toContain(`https://learn.example/${language}/m/functions`);
        }
      });
    }
  }

  it('R82: dates are written in the holder’s zone: 23:30 UTC on 1 December is 2 December in Taipei', () => {
    const taipei = messages().render(factsOf('expired'), holder('zh-Hant', 'Asia/Taipei'), now);
    expect(taipei.text).toContain('2026年12月2日');
    expect(taipei.text).toMatch(/上午7:30/);
    const utc = messages().render(factsOf('expired'), holder('en', 'UTC'), now);
    expect(utc.text).toContain('December 1, 2026');
    const window = messages().render(factsOf('window-open'), holder('ja', 'Asia/Tokyo'), now);
    expect(window.text).toContain('2026年7月2日');
  });

  it('R82: a holder who chose no language gets the program default (MESSAGE_DEFAULT_LANGUAGE), an unknown one too', () => {
    expect(messages(TEMPLATES, 'ja').render(factsOf('expired'), holder(null), now).language).toBe('ja');
    expect(messages(TEMPLATES, 'zh-Hant').render(factsOf('expired'), holder('fr'), now).language).toBe('zh-Hant');
    expect(messages().render(factsOf('expired'), holder('zh-hant-TW'), now).language).toBe('zh-Hant');
  });

  it('R82: every value is escaped in the HTML part (names, reasons, module titles), never in the text part', () => {
    const rendered = messages().render(factsOf('revoked'), holder('en'), now);
    expect(rendered.html).toContain('Ada &lt;Lovelace&gt;');
    expect(rendered.html).toContain('Exam &lt;b&gt;misconduct&lt;/b&gt;');
    expect(rendered.html).not.toContain('<b>misconduct');
    expect(rendered.text).toContain('Hello Ada <Lovelace>,');
    const window = messages().render(factsOf('window-open'), holder('en'), now);
    expect(window.html).toContain('Implement &lt;Azure&gt; Functions &amp; more</a> (40 minutes)');
    expect(window.text).toContain('- Implement <Azure> Functions & more (40 minutes): https://learn.example/en/m/functions');
  });

  it('R82: a program changes a message without code; a missing or broken template stops start-up', () => {
    const dir = mkdtempSync(join(tmpdir(), 'recert-templates-'));
    try {
      cpSync(TEMPLATES, dir, { recursive: true });
      writeFileSync(join(dir, 'en', 'expired.subject'), 'Gone: {{certificationName}}\n');
      expect(messages(dir).render(factsOf('expired'), holder('en'), now).subject).toBe(
        'Gone: Microsoft Certified: Azure Developer Associate',
      );
      writeFileSync(join(dir, 'ja', 'expired.html'), '{{#if}}');
      expect(() => messages(dir)).toThrow(/ja.expired\.html/);
      unlinkSync(join(dir, 'ja', 'expired.html'));
      expect(() => messages(dir)).toThrow(/ja.expired\.html is missing/);
      expect(() => messages(TEMPLATES, 'fr')).toThrow(/MESSAGE_DEFAULT_LANGUAGE fr/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('R82: an override names what it did; a holder without an address gets no To header', async () => {
    const override = messages().render(
      { ...factsOf('override-applied'), override: { kind: 'grant-attempts', attempts: 2 } },
      holder('en'),
      now,
    );
    expect(override.text).toContain('You may take 2 more renewal attempts');
    const erased = await messages().compose(factsOf('expired'), { ...holder('en'), to: null, displayName: null }, now);
    expect((await simpleParser(erased.raw)).to).toBeUndefined();
  });
});
