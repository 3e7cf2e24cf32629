// Reads a PDF on standard input with pdf.js (Mozilla's reader) and prints, as JSON, its title and each page's text
// as pdf.js extracts it; with --ink, also each text item's ink: the dark pixels pdf.js paints in the item's box when
// it renders the page (glyph outlines drawn as paths), in all and per slice of the box (one slice per character, of
// equal widths), so a font that extracts but prints blank, or prints some characters only, is caught.
// A script of its own because pdf.js ships as ES modules only.
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';

const ink = process.argv.includes('--ink');
const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const data = new Uint8Array(Buffer.concat(chunks));
const document = await getDocument({ data, verbosity: 0, disableFontFace: true, isEvalSupported: false }).promise;
const pages = [];
const items = [];
for (let number = 1; number <= document.numPages; number++) {
  const page = await document.getPage(number);
  const content = await page.getTextContent();
  const texts = content.items.filter((item) => 'str' in item);
  pages.push(texts.map((item) => item.str).join('\n'));
  if (!ink) continue;
  const scale = 2;
  const viewport = page.getViewport({ scale });
  const canvas = document.canvasFactory.create(viewport.width, viewport.height);
  await page.render({ canvas: canvas.canvas, canvasContext: canvas.context, viewport, background: 'white' }).promise;
  const pixels = canvas.context.getImageData(0, 0, viewport.width, viewport.height).data;
  for (const item of texts) {
    if (item.str.trim() === '') continue;
    const [, , , size, x, y] = item.transform;
    const [left, top] = viewport.convertToViewportPoint(x, y + size * 0.9);
    const [right, bottom] = viewport.convertToViewportPoint(x + item.width, y - size * 0.15);
    const characters = [...item.str].length;
    const slices = new Array(characters).fill(0);
    for (let py = Math.max(0, Math.floor(top)); py < Math.min(viewport.height, Math.ceil(bottom)); py++)
      for (let px = Math.max(0, Math.floor(left)); px < Math.min(viewport.width, Math.ceil(right)); px++) {
        const at = (py * Math.floor(viewport.width) + px) * 4;
        if (pixels[at] + pixels[at + 1] + pixels[at + 2] < 384)
          slices[Math.min(characters - 1, Math.floor(((px - left) / (right - left)) * characters))]++;
      }
    items.push({ page: number, text: item.str, ink: slices.reduce((a, b) => a + b, 0), slices });
  }
}
const { info } = await document.getMetadata();
process.stdout.write(JSON.stringify({ pages, title: info?.Title ?? null, items }));
