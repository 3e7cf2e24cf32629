import * as fontkit from 'fontkit';
import type { Fontkit } from 'pdf-lib/cjs/types/fontkit';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { inflateSync } from 'node:zlib';
import type { Language } from '../i18n/holder-i18n';

/**
 * The CJK fonts a certificate may embed (#26.4): Noto Sans TC and JP as Fontsource ships them, one file per script
 * (each also covers Latin), regular and bold. They are read once, on first use; the PDF embeds a subset of the
 * glyphs it draws, so a certificate stays tens of kilobytes.
 */
export type CjkFont = 'tc' | 'jp';
type Weight = 400 | 700;

const FILES: Record<CjkFont, { pkg: string; stem: string }> = {
  tc: { pkg: '@fontsource/noto-sans-tc', stem: 'noto-sans-tc-chinese-traditional' },
  jp: { pkg: '@fontsource/noto-sans-jp', stem: 'noto-sans-jp-japanese' },
};

const bytes = new Map<string, Uint8Array>();
type PdfLibFont = ReturnType<Fontkit['create']>;
const parsed = new WeakMap<Uint8Array, PdfLibFont>();
const coverage = new Map<CjkFont, Set<number>>();

/** The font as a plain TrueType file: the package's WOFF, unpacked once (see `sfntOfWoff`). */
export function cjkFontBytes(font: CjkFont, weight: Weight): Uint8Array {
  const key = `${font}-${weight}`;
  let found = bytes.get(key);
  if (!found) {
    const { pkg, stem } = FILES[font];
    const root = dirname(require.resolve(`${pkg}/package.json`));
    found = sfntOfWoff(readFileSync(join(root, 'files', `${stem}-${weight}-normal.woff`)));
    bytes.set(key, found);
  }
  return found;
}

/** The code points a font draws (the regular weight's; the bold file has the same character set). */
function codePoints(font: CjkFont): Set<number> {
  let found = coverage.get(font);
  if (!found) {
    const parsedFont = fontkit.create(Buffer.from(cjkFontBytes(font, 400)));
    found = new Set('characterSet' in parsedFont ? parsedFont.characterSet : []);
    coverage.set(font, found);
  }
  return found;
}

/** Characters that need drawing (spaces and controls do not). */
const inked = (text: string): number[] => [...text].filter((c) => !/\s|\p{Cc}/u.test(c)).map((c) => c.codePointAt(0) as number);

/**
 * The font for texts in `language`: the language's own script first (JP for ja, TC for zh-Hant and otherwise), then
 * the other, the first that draws every character; when neither does, the language's own (the rest is folded).
 */
export function cjkFontFor(language: Language, texts: string[]): CjkFont {
  const order: CjkFont[] = language === 'ja' ? ['jp', 'tc'] : ['tc', 'jp'];
  const needed = texts.flatMap(inked);
  return order.find((font) => needed.every((point) => codePoints(font).has(point))) ?? (order[0] as CjkFont);
}

/**
 * fontkit as pdf-lib should use it for these fonts. Upstream fontkit 2, not pdf-lib's fork `@pdf-lib/fontkit`, whose
 * TrueType subsets write a short `loca` over odd-length glyph records, so most CJK glyphs print blank (text still
 * extracts: the fault shows only on paper); fontkit 2 has `encode()` where pdf-lib calls the old `encodeStream()`, so
 * the subset is adapted. Each file is parsed once (its tables stay decoded across certificates), and text is laid
 * out glyph by glyph from the cmap: fontkit's OpenType shaping took about 70 ms per line of a CJK font, and CJK and
 * plain Latin need no ligatures (pdf-lib reads nothing of a layout but its glyphs).
 */
export const certificateFontkit: Fontkit = {
  create(data: Uint8Array): PdfLibFont {
    let font = parsed.get(data);
    if (!font) {
      const created = fontkit.create(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      if (!('glyphsForString' in created)) throw new Error('a font collection, not a font');
      font = adapted(created);
      parsed.set(data, font);
    }
    return font;
  },
};

function adapted(font: fontkit.Font): PdfLibFont {
  const layout = (text: string): Pick<fontkit.GlyphRun, 'glyphs' | 'positions'> => {
    const glyphs = font.glyphsForString(text);
    return {
      glyphs,
      positions: glyphs.map((glyph) => ({ xAdvance: glyph.advanceWidth, yAdvance: 0, xOffset: 0, yOffset: 0 }) as fontkit.GlyphPosition),
    };
  };
  const createSubset = (): unknown => {
    const subset = font.createSubset();
    return {
      includeGlyph: (glyph: fontkit.Glyph) => subset.includeGlyph(glyph),
      get cff(): unknown {
        return (subset as unknown as { cff?: unknown }).cff;
      },
      encodeStream() {
        const stream = {
          on(event: 'data' | 'end', callback: (data: Uint8Array) => unknown) {
            // pdf-lib listens for data, then end: hand over the whole subset at once, then finish.
            if (event === 'data') callback(subset.encode());
            else callback(new Uint8Array());
            return stream;
          },
        };
        return stream;
      },
    };
  };
  return new Proxy(font, {
    get: (target, property, receiver): unknown =>
      property === 'layout' ? layout : property === 'createSubset' ? createSubset : (Reflect.get(target, property, receiver) as unknown),
  }) as unknown as PdfLibFont;
}

/**
 * A WOFF 1.0 file (W3C WOFF §3–5) back into the TrueType file it wraps: the same tables, each inflated with Node's
 * zlib. fontkit reads WOFF itself, but with a JavaScript inflate that took 17 s for one CJK font; zlib takes
 * milliseconds.
 */
export function sfntOfWoff(woff: Buffer): Buffer {
  if (woff.readUInt32BE(0) !== 0x774f4646) throw new Error('not a WOFF file');
  const flavor = woff.readUInt32BE(4);
  const count = woff.readUInt16BE(12);
  const tables = Array.from({ length: count }, (_, i) => {
    const entry = 44 + i * 20;
    const [tag, offset, compressed, length, checksum] = [0, 4, 8, 12, 16].map((at) => woff.readUInt32BE(entry + at)) as [
      number,
      number,
      number,
      number,
      number,
    ];
    const stored = woff.subarray(offset, offset + compressed);
    return { tag, checksum, data: compressed < length ? inflateSync(stored) : stored };
  });
  const header = Buffer.alloc(12 + 16 * count);
  const log2 = Math.floor(Math.log2(count));
  header.writeUInt32BE(flavor, 0);
  header.writeUInt16BE(count, 4);
  header.writeUInt16BE(2 ** log2 * 16, 6);
  header.writeUInt16BE(log2, 8);
  header.writeUInt16BE(count * 16 - 2 ** log2 * 16, 10);
  const parts: Buffer[] = [header];
  let offset = header.length;
  tables.forEach(({ tag, checksum, data }, i) => {
    header.writeUInt32BE(tag, 12 + i * 16);
    header.writeUInt32BE(checksum, 16 + i * 16);
    header.writeUInt32BE(offset, 20 + i * 16);
    header.writeUInt32BE(data.length, 24 + i * 16);
    const padded = Buffer.alloc(Math.ceil(data.length / 4) * 4);
    data.copy(padded);
    parts.push(padded);
    offset += padded.length;
  });
  return Buffer.concat(parts);
}
