/** What a badge shows of a certification: the catalog's facts, no holder. */
export interface BadgeCertification {
  code: string;
  name: string;
  level: string;
}

const LEVEL_COLOURS: Record<string, string> = {
  fundamentals: '#1a7f37',
  associate: '#0b5cad',
  expert: '#6639ba',
  specialty: '#bc4c00',
};

const escapeXml = (text: string): string =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c] ?? c);

/**
 * A certification's badge as a small, self-contained SVG (no fonts, links or scripts to fetch): a hexagon in the
 * level's colour with the level's name (#26.6). The one place a badge is drawn, so the Open Badges achievement image
 * and the verification page can share it; the caller gives its alternative text.
 */
export function badgeSvg(certification: BadgeCertification): string {
  const colour = LEVEL_COLOURS[certification.level] ?? '#57606a';
  const level = certification.level.toUpperCase();
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 120 120" width="120" height="120" role="img" aria-label="${escapeXml(certification.name)}">
<title>${escapeXml(certification.name)}</title>
<polygon points="60,4 108,32 108,88 60,116 12,88 12,32" fill="${colour}"/>
<polygon points="60,14 99,37 99,83 60,106 21,83 21,37" fill="none" stroke="#ffffff" stroke-width="3" stroke-opacity="0.8"/>
<path d="M42 62 l12 12 l24 -26" fill="none" stroke="#ffffff" stroke-width="8" stroke-linecap="round" stroke-linejoin="round"/>
<text x="60" y="96" text-anchor="middle" font-family="sans-serif" font-size="9" font-weight="700" fill="#ffffff" letter-spacing="1">${escapeXml(level)}</text>
</svg>`;
}
