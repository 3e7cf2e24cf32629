import type { Certification } from '@recert/domain';

const COLOURS: Record<string, string> = { fundamentals: '#2f7d32', associate: '#0b5cad', expert: '#6a1b9a', specialty: '#b23c17' };

const escapeXml = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c] as string);

/** Splits a name into at most three lines of about `width` characters, on spaces. */
function lines(text: string, width: number): string[] {
  const out: string[] = [];
  for (const word of text.split(/\s+/)) {
    const last = out[out.length - 1];
    if (last !== undefined && last.length + word.length + 1 <= width) out[out.length - 1] = `${last} ${word}`;
    else out.push(word);
  }
  return out.length > 3
    ? [
        ...out.slice(0, 2),
        `${out
          .slice(2)
          .join(' ')
          .slice(0, width - 1)}…`,
      ]
    : out;
}

/**
 * R70: the achievement's image, one per certification of the catalog: a hexagon in the level's colour with the
 * level and the name, as SVG (scales, small, no font file: the viewer's sans-serif). Served publicly at
 * `/achievements/<code>/badge.svg`, the URL the credential's `achievement.image` names.
 */
export function badgeSvg(certification: Certification): string {
  const colour = COLOURS[certification.level] ?? '#37474f';
  const name = lines(certification.name.replace(/^Microsoft Certified:\s*/, ''), 18)
    .map((line, i, all) => `<text x="100" y="${112 + (i - (all.length - 1) / 2) * 20}" font-size="16">${escapeXml(line)}</text>`)
    .join('');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="220" viewBox="0 0 200 220" role="img" aria-label="${escapeXml(certification.name)}">`,
    `<title>${escapeXml(certification.name)}</title>`,
    `<polygon points="100,6 190,58 190,162 100,214 10,162 10,58" fill="${colour}" stroke="#ffffff" stroke-width="6"/>`,
    `<g fill="#ffffff" font-family="sans-serif" text-anchor="middle">`,
    `<text x="100" y="52" font-size="13" letter-spacing="2">${escapeXml(certification.level.toUpperCase())}</text>`,
    name,
    `<text x="100" y="178" font-size="12">${escapeXml(certification.exam)}</text>`,
    `</g></svg>`,
  ].join('');
}
