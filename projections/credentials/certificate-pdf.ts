import { PDFDocument, PDFFont, PDFName, PDFPage, PDFString, rgb, StandardFonts } from 'pdf-lib';
import { create as createQr } from 'qrcode';

/** What a PDF certificate states: the facts of one cycle, read from the log's read model at request time. */
export interface CertificateFacts {
  /** Null once the holder's personal data was erased: the certificate then names nobody. */
  holderName: string | null;
  certificationName: string;
  level: string;
  status: string;
  earnedAt: string;
  expiresAt: string | null;
  issuerName: string;
  verificationUrl: string;
  /** When it was made: the PDF's dates and its "as of", from the clock. */
  asOf: Date;
}

// A4 landscape, in PDF points.
const WIDTH = 842;
const HEIGHT = 595;
const MARGIN = 56;
const INK = rgb(0.12, 0.16, 0.22);
const ACCENT = rgb(0.05, 0.33, 0.6);
const MUTED = rgb(0.38, 0.42, 0.48);

export const CERTIFICATE_TITLE = (certificationName: string): string => `Certificate: ${certificationName}`;

/**
 * #13.4: a one-page PDF certificate with the verification URL, as text, as a link, and as a QR code drawn from the
 * QR matrix with rectangles (crisp at any zoom, no image codec). The standard fonts carry WinAnsi only, so text
 * outside it is folded to its base letters or '?', never an error: a holder's name is input we do not control.
 */
export async function certificatePdf(facts: CertificateFacts): Promise<Uint8Array> {
  const pdf = await PDFDocument.create();
  const title = CERTIFICATE_TITLE(facts.certificationName);
  pdf.setTitle(title, { showInWindowTitleBar: true });
  pdf.setAuthor(facts.issuerName);
  pdf.setSubject(`Verify at ${facts.verificationUrl}`);
  pdf.setKeywords(['certificate', facts.certificationName, facts.verificationUrl]);
  pdf.setCreator('recert');
  pdf.setProducer('recert (pdf-lib)');
  pdf.setCreationDate(facts.asOf);
  pdf.setModificationDate(facts.asOf);

  const regular = await pdf.embedFont(StandardFonts.Helvetica);
  const bold = await pdf.embedFont(StandardFonts.HelveticaBold);
  const page = pdf.addPage([WIDTH, HEIGHT]);
  page.drawRectangle({ x: 24, y: 24, width: WIDTH - 48, height: HEIGHT - 48, borderColor: ACCENT, borderWidth: 2 });

  const centred = (text: string, y: number, font: PDFFont, size: number, color = INK): void => {
    const fitted = fit(text, font, size, WIDTH - 2 * MARGIN);
    const width = fitted.font.widthOfTextAtSize(fitted.text, fitted.size);
    page.drawText(fitted.text, { x: (WIDTH - width) / 2, y, font: fitted.font, size: fitted.size, color });
  };

  centred('CERTIFICATE', 500, bold, 34, ACCENT);
  centred(`issued by ${facts.issuerName}`, 472, regular, 14, MUTED);
  centred(facts.holderName === null ? 'This certifies that the holder' : 'This certifies that', 420, regular, 14, MUTED);
  if (facts.holderName !== null) centred(facts.holderName, 385, bold, 28);
  centred('holds the certification', 350, regular, 14, MUTED);
  centred(facts.certificationName, 315, bold, 24, ACCENT);
  centred(`Level: ${facts.level}`, 290, regular, 12, MUTED);
  const expiry = facts.expiresAt === null ? 'does not expire' : `valid until ${day(facts.expiresAt)}`;
  centred(`Earned ${day(facts.earnedAt)}, ${expiry}`, 250, regular, 14);
  centred(`Status on ${day(facts.asOf.toISOString())}: ${facts.status}`, 228, regular, 12, MUTED);

  const qrSize = 118;
  const qrX = WIDTH - MARGIN - qrSize;
  const qrY = MARGIN;
  drawQr(page, facts.verificationUrl, qrX, qrY, qrSize);
  const left = MARGIN;
  const textWidth = qrX - left - 24;
  page.drawText('Check this certificate, its current status and its signed credential at:', {
    x: left,
    y: qrY + 62,
    font: regular,
    size: 11,
    color: MUTED,
  });
  const url = fit(facts.verificationUrl, regular, 12, textWidth);
  page.drawText(url.text, { x: left, y: qrY + 42, font: url.font, size: url.size, color: ACCENT });
  link(pdf, page, facts.verificationUrl, [left, qrY + 38, left + url.font.widthOfTextAtSize(url.text, url.size), qrY + 56]);
  link(pdf, page, facts.verificationUrl, [qrX, qrY, qrX + qrSize, qrY + qrSize]);
  page.drawText('The verification link, not this paper, is authoritative: a renewal, an expiry or a revocation shows there.', {
    x: left,
    y: qrY + 18,
    font: regular,
    size: 9,
    color: MUTED,
  });

  // Objects uncompressed into streams: a reader (and the tests) finds the link and metadata as plain PDF objects.
  return pdf.save({ useObjectStreams: false });
}

/** A calendar day, UTC, unambiguous in every locale. */
function day(iso: string): string {
  return iso.slice(0, 10);
}

/** Text the font can draw: control characters become spaces, accented letters their base, the rest '?'. */
export function drawable(text: string, font: PDFFont): string {
  const supported = new Set(font.getCharacterSet());
  return [...text]
    .map((char) => {
      if (/\p{Cc}|\p{Zl}|\p{Zp}/u.test(char)) return ' ';
      if (supported.has(char.codePointAt(0) as number)) return char;
      const base = char.normalize('NFKD').replace(/\p{M}/gu, '');
      return base.length > 0 && [...base].every((c) => supported.has(c.codePointAt(0) as number)) ? base : '?';
    })
    .join('');
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
