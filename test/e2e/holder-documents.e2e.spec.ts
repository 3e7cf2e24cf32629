import ICAL from 'ical.js';
import { asBytes, asText, eventually, Harness, seedProfile, startApp } from '../support/harness';
import { pdfText } from '../support/pdf-text';

// A loaded machine: no test here may fail on time (hooks and tests wait for conditions, not moments).
jest.setTimeout(60_000);

const AA = 'azure-administrator-associate';
const expectContains = (text: string, expected: string[]): void => {
  for (const part of expected) expect(text).toContain(part);
};

/** #26.4–6 over HTTP: what leaves recert for a holder or a visitor, in their language and time zone. */
describe('#26 documents in the holder language and zone', () => {
  let h: Harness;
  const holder = (profileId: string): string => `Bearer ${h.token(['candidate'], { sub: profileId, profileId })}`;
  const prefer = (profileId: string, language: string, timeZone: string) =>
    h.http
      .put(`/certification-profiles/${profileId}/preferences`)
      .set('Authorization', holder(profileId))
      .send({ language, timeZone, reminders: 'all' })
      .expect(200);

  beforeAll(async () => {
    h = await startApp({ clockStart: '2026-06-01T00:00:00Z', env: { PUBLIC_BASE_URL: 'https://certs.example.org' } });
    // Earned 1 January 2026: expires 2027-01-01T00:00Z, its window opens 2026-07-01T00:00Z (one month ahead).
    await seedProfile(h, 'la', { displayName: 'Jane Doe', earn: [{ code: AA, earnedAt: '2026-01-01T00:00:00Z' }] });
    await seedProfile(h, 'tokyo', { displayName: '山田 太郎', earn: [{ code: AA, earnedAt: '2026-01-01T00:00:00Z' }] });
    await seedProfile(h, 'taipei', { displayName: '陳美玲', earn: [{ code: AA, earnedAt: '2025-10-01T00:00:00Z' }] });
    await prefer('la', 'en', 'America/Los_Angeles');
    await prefer('tokyo', 'ja', 'Asia/Tokyo');
    await prefer('taipei', 'zh-Hant', 'Asia/Taipei');
  }, 60_000);
  afterAll(async () => h?.close(), 60_000);

  describe('#26.5 calendar', () => {
    const events = async (profileId: string) => {
      const res = await h.http
        .get(`/certification-profiles/${profileId}/certifications/${AA}/calendar.ics`)
        .set('Authorization', holder(profileId));
      expect(res.status).toBe(200);
      const calendar = new ICAL.Component(ICAL.parse(res.text) as unknown[]);
      return calendar.getAllSubcomponents('vevent').map((component) => {
        const event = new ICAL.Event(component);
        return {
          uid: event.uid,
          summary: event.summary,
          date: event.startDate.toString(),
          reminders: component.getAllSubcomponents('valarm').map((alarm) => {
            const at = event.startDate.clone();
            at.isDate = false;
            at.addDuration(alarm.getFirstPropertyValue('trigger') as ICAL.Duration);
            return at.toString().slice(0, 16);
          }),
        };
      });
    };

    it('R75: a holder in America/Los_Angeles gets the local days: window opens 30 June, last day 31 December (expiry 16:00 local), reminders before it', async () => {
      const [window, last] = await events('la');
      expect(window).toMatchObject({ uid: `window.1.${AA}.la@recert`, date: '2026-06-30' });
      expect(window?.summary).toBe('Renewal window opens: Microsoft Certified: Azure Administrator Associate');
      expect(last).toMatchObject({ uid: `expiry.1.${AA}.la@recert`, date: '2026-12-31' });
      expect(last?.summary).toContain('Last day to renew');
      expect(last?.summary).toContain('16:00 (America/Los_Angeles)');
      expect(last?.reminders).toEqual(['2026-12-01T09:00', '2026-12-24T09:00', '2026-12-30T09:00']);
    });

    it('R75: a holder in Asia/Tokyo gets 1 July and 1 January (expiry 09:00 local), in Japanese', async () => {
      const [window, last] = await events('tokyo');
      expect(window).toMatchObject({ date: '2026-07-01', summary: '更新期間の開始: Microsoft 認定資格: Azure Administrator Associate' });
      expect(last).toMatchObject({ date: '2027-01-01' });
      expect(last?.summary).toContain('更新最終日');
      expect(last?.reminders).toEqual(['2026-12-02T09:00', '2026-12-25T09:00', '2026-12-31T09:00']);
    });

    it('R75: ?tz= (the zone the page shows) takes the days in that zone; an unknown zone is a 400', async () => {
      const path = `/certification-profiles/la/certifications/${AA}/calendar.ics`;
      const tokyo = await h.http.get(`${path}?tz=Asia/Tokyo`).set('Authorization', holder('la'));
      expect(tokyo.text).toContain('DTSTART;VALUE=DATE:20270101');
      const bad = await h.http.get(`${path}?tz=Mars/Olympus_Mons`).set('Authorization', holder('la'));
      expect(bad.status).toBe(400);
      expect((bad.body as { code: string }).code).toBe('VALIDATION_FAILED');
    });

    it('R76: an already-open window has no "window opens" event; the last day is in Traditional Chinese for a Taipei holder', async () => {
      // Earned 1 October 2025: its window opened 1 April 2026, before the clock's 1 June.
      const all = await events('taipei');
      expect(all.map((e) => e.uid)).toEqual([`expiry.1.${AA}.taipei@recert`]);
      expect(all[0]).toMatchObject({ date: '2026-10-01' });
      expect(all[0]?.summary).toContain('續期最後一天');
    });
  });

  describe('#26.4 PDF certificate', () => {
    const pdfOf = (profileId: string, acceptLanguage?: string): Promise<Buffer> =>
      eventually(
        async () => {
          const req = h.http
            .get(`/certification-profiles/${profileId}/certifications/${AA}/certificate.pdf`)
            .set('Authorization', holder(profileId));
          if (acceptLanguage) void req.set('Accept-Language', acceptLanguage);
          return req.buffer(true).parse(asBytes);
        },
        (res) => res.status === 200,
      ).then((res) => res.body as Buffer);
    /** Every character slice of the text item has ink: all its glyphs printed, none blank (the slices are equal). */
    const printed = (read: ReturnType<typeof pdfText>, text: string, minimum: number): void => {
      const item = read.items.find((i) => i.text === text);
      expect(item?.text).toBe(text);
      const blank = (item?.slices ?? []).filter((ink) => ink < 100).length;
      expect({ text, blank: blank <= minimum }).toEqual({ text, blank: true });
    };

    it('R77: a Japanese holder in Tokyo gets 山田 太郎 in its own script, Japanese labels, dates in Asia/Tokyo, a font subset', async () => {
      const pdf = await pdfOf('tokyo');
      const read = pdfText(pdf, { ink: true });
      const text = read.pages.join('\n');
      expect(read.title).toBe('認定証: Microsoft 認定資格: Azure Administrator Associate');
      expectContains(text, [
        '認定証',
        '山田 太郎',
        'レベル: Associate',
        '2026年1月1日 取得、2027年1月1日 09:00 (Asia/Tokyo) まで有効',
        '2026年6月1日 時点の状態: 有効',
      ]);
      // Printed, not only extractable: each of the name's characters has ink (a broken subset prints blanks). The
      // space's slice may be blank.
      printed(read, '山田 太郎', 1);
      // The font is embedded (FontFile2), as a subset: the whole font alone is 1.4 MB.
      expect(pdf.toString('latin1')).toContain('/FontFile2');
      expect(pdf.length).toBeLessThan(100_000);
    });

    it('R77: a Taipei holder gets 陳美玲 and Traditional Chinese, dates in Asia/Taipei', async () => {
      const read = pdfText(await pdfOf('taipei'), { ink: true });
      const text = read.pages.join('\n');
      expectContains(text, ['證書', '陳美玲', '2025年10月1日', '2026年10月1日 08:00 (Asia/Taipei)']);
      printed(read, '陳美玲', 0);
    });

    it('R77: a holder who chose nothing gets the language of the request (Accept-Language) and UTC; English in Los Angeles stays Helvetica', async () => {
      await seedProfile(h, 'nochoice', { displayName: '陳美玲', earn: [{ code: AA, earnedAt: '2026-01-01T00:00:00Z' }] });
      const ja = pdfText(await pdfOf('nochoice', 'fr;q=0.9, ja;q=0.8, en;q=0.1')).pages.join('\n');
      expect(ja).toContain('2026年1月1日 取得、2027年1月1日 00:00 (UTC) まで有効');
      expect(ja).toContain('陳美玲');
      const la = await pdfOf('la');
      const english = pdfText(la).pages.join('\n');
      expect(english).toContain('Jane Doe');
      expect(english).toContain('Earned 31 December 2025, valid until 31 December 2026 16:00 (America/Los_Angeles)');
      expect(la.toString('latin1')).toContain('/BaseFont /Helvetica');
    });
  });

  describe('#26.6 verification page', () => {
    const idOf = async (profileId: string): Promise<string> => {
      const res = await eventually(
        () => h.http.get(`/certification-profiles/${profileId}/dashboard`).set('Authorization', holder(profileId)),
        (r) => ((r.body as { certifications?: { verificationUrl: string | null }[] }).certifications ?? []).some((c) => c.verificationUrl),
      );
      const cert = (res.body as { certifications: { verificationUrl: string }[] }).certifications[0];
      return (cert?.verificationUrl ?? '').split('/').pop() as string;
    };
    const page = (id: string, acceptLanguage?: string, accept = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8') => {
      const req = h.http.get(`/verify/${id}`).set('Accept', accept);
      return acceptLanguage === undefined ? req : req.set('Accept-Language', acceptLanguage);
    };

    it('R78: a Japanese browser gets the page in Japanese: catalog name, status, dates with their zone, lang and Content-Language', async () => {
      const res = await page(await idOf('tokyo'), 'ja-JP,ja;q=0.9,en-US;q=0.8,en;q=0.7');
      expect(res.status).toBe(200);
      expect(res.headers['content-language']).toBe('ja');
      expect(res.headers['vary']).toContain('Accept-Language');
      expect(res.text).toContain('<html lang="ja">');
      expectContains(res.text, [
        '認定資格の確認',
        'Microsoft 認定資格: Azure Administrator Associate',
        'data-testid="status">有効<',
        '山田 太郎',
        '2026年1月1日 00:00 (UTC)',
        '2027年1月1日 00:00 (UTC)',
        '時点の発行者の記録と照合しました',
      ]);
    });

    it('R78: Traditional Chinese for zh-TW (by q-value over English), English for a language we do not write', async () => {
      const id = await idOf('taipei');
      const zh = await page(id, 'en;q=0.5, zh-TW;q=0.9');
      expect(zh.text).toContain('<html lang="zh-Hant">');
      expectContains(zh.text, [
        '認證驗證',
        'Microsoft 認證：Azure 系統管理員助理',
        'data-testid="status">有效<',
        '陳美玲',
        '2025年10月1日 00:00 (UTC)',
      ]);
      const english = await page(id, 'fr-CH, de;q=0.9');
      expect(english.text).toContain('<html lang="en">');
      expect(english.text).toContain('Certification verification');
      expect(english.text).toContain('1 October 2025 00:00 (UTC)');
      expect(english.headers['content-language']).toBe('en');
    });

    it("R78: the page shows the certification badge, the achievement image's SVG inline as data (the CSP allows data: images only)", async () => {
      const res = await page(await idOf('la'), 'en');
      const badge =
        /<img src="data:image\/svg\+xml;base64,([A-Za-z0-9+/=]+)" width="96" height="106" alt="([^"]+)" data-testid="badge">/.exec(
          res.text,
        );
      expect(badge?.[2]).toBe('Badge: Microsoft Certified: Azure Administrator Associate');
      const svg = Buffer.from(badge?.[1] ?? '', 'base64').toString('utf8');
      expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      expect(svg).toContain('ASSOCIATE');
      expect(svg).not.toMatch(/<script|href=/i);
      // The very image the credential's achievement.image names (R70), one function draws both.
      expect(svg).toBe((await h.http.get(`/achievements/${AA}/badge.svg`).buffer(true).parse(asText)).body);
      expect(String(res.headers['content-security-policy'])).toContain('img-src data:');
    });

    it('R79: a browser asking for an unknown, malformed, private or rotated id gets one HTML 404 page in its language; other clients the JSON problem', async () => {
      const id = await idOf('la');
      const visibility = (value: string) =>
        h.http
          .post(`/certification-profiles/la/certifications/${AA}/verification-visibility`)
          .set('Authorization', holder('la'))
          .send({ visibility: value })
          .expect(200);
      const unknown = await page('AAAAAAAAAAAAAAAAAAAAAA', 'ja');
      expect(unknown.status).toBe(404);
      expect(unknown.headers['content-type']).toMatch(/^text\/html/);
      expect(unknown.headers['x-content-type-options']).toBe('nosniff');
      expect(unknown.text).toContain('<html lang="ja">');
      expect(unknown.text).toContain('該当する確認情報はありません');
      expect((await page('..%2F..%2Fetc', 'ja')).text).toBe(unknown.text);
      await visibility('private');
      try {
        const hidden = await eventually(
          () => page(id, 'ja'),
          (r) => r.status === 404,
        );
        expect(hidden.text).toBe(unknown.text);
      } finally {
        await visibility('public');
      }
      const english = await page('AAAAAAAAAAAAAAAAAAAAAA');
      expect(english.status).toBe(404);
      expect(english.text).toContain('No such verification');
      // Not a browser: the problem, whatever the language asked.
      const json = await page('AAAAAAAAAAAAAAAAAAAAAA', 'ja', 'application/json');
      expect(json.status).toBe(404);
      expect(json.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect((json.body as { code: string }).code).toBe('VERIFICATION_NOT_FOUND');
      // Rotated away: the old id answers the same page.
      const rotated = await h.http
        .post(`/certification-profiles/la/certifications/${AA}/verification-id-rotation`)
        .set('Authorization', holder('la'));
      expect(rotated.status).toBeLessThan(300);
      const old = await eventually(
        () => page(id, 'ja'),
        (r) => r.status === 404,
      );
      expect(old.text).toBe(unknown.text);
    });
  });
});
