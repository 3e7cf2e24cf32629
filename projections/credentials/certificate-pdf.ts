import { PDFDocument, PDFFont, PDFName, PDFPage, PDFString, rgb, StandardFonts } from 'pdf-lib';
import { create as createQr } from 'qrcode';
import { fill, formatDateTime, formatDay, Language, messages } from '../i18n/holder-i18n';
import { certificateFontkit, cjkFontBytes, cjkFontFor } from './certificate-fonts';

/** What a PDF certificate states: the facts of one cycle, read from the log's read model at request time. */
export interface CertificateFacts {
  /** Null once the holder's personal data was erased: the certificate then names nobody. */
  holderName: string | null;
  /** In the certificate's language (the catalog's name for it, else the English one). */
  certificationName: string;
  level: string;
  status: 'active' | 'expired' | 'revoked' | 'suspended' | 'never-expires';
  earnedAt: string;
  expiresAt: string | null;
  issuerName: string;
  verificationUrl: string;
  /** When it was made: the PDF's dates and its "as of", from the clock. */
  asOf: Date;
  /** The holder's language and IANA time zone (their preferences, #26.4). */
  language: Language;
  timeZone: string;
}

// A4 landscape, in PDF points.
const WIDTH = 842;
const HEIGHT = 595;
const MARGIN = 56;
const INK = rgb(0.12, 0.16, 0.22);
const ACCENT = rgb(0.05, 0.33, 0.6);
const MUTED = rgb(0.38, 0.42, 0.48);

export const CERTIFICATE_TITLE = (certificationName: string, language: Language = 'en'): string =>
  fill(messages(language).certificate.title, { name: certificationName });

/** Text Helvetica's WinAnsi encoding draws as it is: then English needs no embedded font. */
const WIN_ANSI =
  /^[\x20-\x7e\xa0-\xff\u20ac\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u017d\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u017e\u0178]*$/;

/**
 * #13.4: a one-page PDF certificate with the verification URL, as text, as a link, and as a QR code drawn from the
 * QR matrix with rectangles (crisp at any zoom, no image codec). #26.4: in the holder's language, dates in their
 * zone; English whose texts WinAnsi encodes uses the standard Helvetica, anything else embeds a subset of Noto Sans
 * TC or JP (whichever draws every character, the language's own first), so 山田 太郎 prints as written. A character
 * no font has is folded to its base letters or '?', never an error: a holder's name is input we do not control.
 */
export async function certificatePdf(facts: CertificateFacts): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const words = messages(facts.language).certificate;
  const title = CERTIFICATE_TITLE(facts.certificationName, facts.language);
  pdf.setTitle(title, { showInWindowTitleBar: true });
  pdf.setAuthor(facts.issuerName);
  pdf.setSubject(`${words.checkAt} ${facts.verificationUrl}`);
  pdf.setLanguage(facts.language);
  pdf.setKeywords(['certificate', facts.certificationName, facts.verificationUrl]);
  pdf.setCreator('recert');
  pdf.setProducer('recert (pdf-lib)');
  pdf.setCreationDate(facts.asOf);
  pdf.setModificationDate(facts.asOf);

  const day = (iso: string): string => formatDay(iso, facts.language, facts.timeZone);
  const status = messages(facts.language).status[facts.status];
  const level = (messages(facts.language).level as Record<string, string>)[facts.level] ?? facts.level;
  const texts = {
    heading: words.heading,
    issuedBy: fill(words.issuedBy, { issuer: facts.issuerName }),
    certifies: facts.holderName === null ? words.certifiesThatHolder : words.certifiesThat,
    holds: words.holds,
    level: fill(words.level, { level }),
    dates:
      facts.expiresAt === null
        ? fill(words.earnedNoExpiry, { earned: day(facts.earnedAt) })
        : fill(words.earnedUntil, {
            earned: day(facts.earnedAt),
            expires: formatDateTime(facts.expiresAt, facts.language, facts.timeZone),
          }),
    statusOn: fill(words.statusOn, { date: day(facts.asOf.toISOString()), status }),
    checkAt: words.checkAt,
    authoritative: words.authoritative,
    zone: fill(words.zone, { zone: facts.timeZone }),
  };
  const all = [...Object.values(texts), facts.holderName ?? '', facts.certificationName];
  let regular: PDFFont;
  let bold: PDFFont;
  if (facts.language === 'en' && all.every((text) => WIN_ANSI.test(text))) {
    regular = await pdf.embedFont(StandardFonts.Helvetica);
    bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  } else {
    pdf.registerFontkit(certificateFontkit);
    const font = cjkFontFor(facts.language, all);
    regular = await pdf.embedFont(cjkFontBytes(font, 400), { subset: true });
    bold = await pdf.embedFont(cjkFontBytes(font, 700), { subset: true });
  }
  const page = pdf.addPage([WIDTH, HEIGHT]);
  page.drawRectangle({ x: 24, y: 24, width: WIDTH - 48, height: HEIGHT - 48, borderColor: ACCENT, borderWidth: 2 });

  const centred = (text: string, y: number, font: PDFFont, size: number, color = INK): void => {
    const fitted = fit(text, font, size, WIDTH - 2 * MARGIN);
    const width = fitted.font.widthOfTextAtSize(fitted.text, fitted.size);
    page.drawText(fitted.text, { x: (WIDTH - width) / 2, y, font: fitted.font, size: fitted.size, color });
  };

  centred(texts.heading, 500, bold, 34, ACCENT);
  centred(texts.issuedBy, 472, regular, 14, MUTED);
  centred(texts.certifies, 420, regular, 14, MUTED);
  if (facts.holderName !== null) centred(facts.holderName, 385, bold, 28);
  centred(texts.holds, 350, regular, 14, MUTED);
  centred(facts.certificationName, 315, bold, 24, ACCENT);
  centred(texts.level, 290, regular, 12, MUTED);
  centred(texts.dates, 250, regular, 14);
  centred(texts.statusOn, 228, regular, 12, MUTED);
  centred(texts.zone, 208, regular, 10, MUTED);

  const qrSize = 118;
  const qrX = WIDTH - MARGIN - qrSize;
  const qrY = MARGIN;
  drawQr(page, facts.verificationUrl, qrX, qrY, qrSize);
  const left = MARGIN;
  const textWidth = qrX - left - 24;
  const checkAt = fit(texts.checkAt, regular, 11, textWidth);
  page.drawText(checkAt.text, { x: left, y: qrY + 62, font: regular, size: checkAt.size, color: MUTED });
  const url = fit(facts.verificationUrl, regular, 12, textWidth);
  page.drawText(url.text, { x: left, y: qrY + 42, font: url.font, size: url.size, color: ACCENT });
  link(pdf, page, facts.verificationUrl, [left, qrY + 38, left + url.font.widthOfTextAtSize(url.text, url.size), qrY + 56]);
  link(pdf, page, facts.verificationUrl, [qrX, qrY, qrX + qrSize, qrY + qrSize]);
  const authoritative = fit(texts.authoritative, regular, 9, textWidth);
  page.drawText(authoritative.text, { x: left, y: qrY + 18, font: regular, size: authoritative.size, color: MUTED });

  // Objects uncompressed into streams: a reader (and the tests) finds the link and metadata as plain PDF objects.
  return pdf.save({ useObjectStreams: false });
}

/** Text the font can draw: control characters become spaces, accented letters their base, the rest '?'. */
export function drawable(text: string, font: PDFFont): string {
  const supported = characterSet(font);
  return [...text]
    .map((char) => {
      if (/\p{Cc}|\p{Zl}|\p{Zp}/u.test(char)) return ' ';
      if (supported.has(char.codePointAt(0) as number)) return char;
      const base = char.normalize('NFKD').replace(/\p{M}/gu, '');
      return base.length > 0 && [...base].every((c) => supported.has(c.codePointAt(0) as number)) ? base : '?';
    })
    .join('');
}

const characterSets = new WeakMap<PDFFont, Set<number>>();
/** A font's code points, once per font (a CJK font has tens of thousands). */
function characterSet(font: PDFFont): Set<number> {
  let found = characterSets.get(font);
  if (!found) {
    found = new Set(font.getCharacterSet());
    characterSets.set(font, found);
  }
  return found;
}

/** Shrinks the size (down to 8 pt) and then cuts with an ellipsis, so a long name or URL stays on the page. */
function fit(text: string, font: PDFFont, size: number, maxWidth: number): { text: string; font: PDFFont; size: number } {
  let fitted = drawable(text, font);
  let current = size;
  while (current > 8 && font.widthOfTextAtSize(fitted, current) > maxWidth) current -= 1;
  if (font.widthOfTextAtSize(fitted, current) > maxWidth) {
    while (fitted.length > 1 && font.widthOfTextAtSize(`${fitted}...`, current) > maxWidth) fitted = fitted.slice(0, -1);
    fitted = `${fitted}...`;
  }
  return { text: fitted, font, size: current };
}

/** The QR code of `text` (error correction M), one filled square per dark module, with its quiet zone. */
function drawQr(page: PDFPage, text: string, x: number, y: number, size: number): void {
  const { modules } = createQr(text, { errorCorrectionLevel: 'M' });
  const count = modules.size;
  const quiet = 2;
  const cell = size / (count + 2 * quiet);
  page.drawRectangle({ x, y, width: size, height: size, color: rgb(1, 1, 1) });
  for (let row = 0; row < count; row++)
    for (let col = 0; col < count; col++)
      if (modules.get(row, col))
        // PDF's y grows upwards, the matrix's rows downwards; a hair of overlap avoids seams between cells.
        page.drawRectangle({
          x: x + (col + quiet) * cell,
          y: y + size - (row + quiet + 1) * cell,
          width: cell + 0.05,
          height: cell + 0.05,
          color: rgb(0, 0, 0),
        });
}

/** A clickable URI link over a rectangle of the page. */
function link(pdf: PDFDocument, page: PDFPage, url: string, rect: [number, number, number, number]): void {
  const annotation = pdf.context.register(
    pdf.context.obj({
      Type: 'Annot',
      Subtype: 'Link',
      Rect: rect,
      Border: [0, 0, 0],
      A: { Type: 'Action', S: 'URI', URI: PDFString.of(url) },
    }),
  );
  const existing = page.node.Annots();
  if (existing) existing.push(annotation);
  else page.node.set(PDFName.of('Annots'), pdf.context.obj([annotation]));
}
