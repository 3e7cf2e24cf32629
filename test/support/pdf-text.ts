import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export interface PdfText {
  title: string | null;
  /** Each page's text items, one a line. */
  pages: string[];
  /** With `ink`: the dark pixels under each text item when pdf.js renders it, in all and per character slice. */
  items: { page: number; text: string; ink: number; slices: number[] }[];
}

/** What pdf.js (Mozilla's reader, in a process of its own: it is ES modules only) reads from a PDF, and paints. */
export function pdfText(pdf: Uint8Array, options: { ink?: boolean } = {}): PdfText {
  const run = spawnSync(process.execPath, [join(__dirname, 'pdf-text.mjs'), ...(options.ink ? ['--ink'] : [])], {
    input: pdf,
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (run.status !== 0) throw new Error(`pdf.js could not read the PDF: ${run.stderr}`);
  return JSON.parse(run.stdout) as PdfText;
}
