/// <reference lib="dom" />
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';

/** Browser specs' shared pieces: Debian's Chromium through playwright-core (never a downloaded browser), axe-core. */
export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);
export const ROOT = join(__dirname, '..', '..');
/** Screenshots of each state for review, committed (PNG only; see .gitignore). */
export const ARTIFACTS = join(ROOT, 'test', 'artifacts');

export function buildWeb(): void {
  const built = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-web.mjs')], { encoding: 'utf8' });
  if (built.status !== 0) throw new Error(`build-web failed: ${built.stderr}`);
  mkdirSync(ARTIFACTS, { recursive: true });
}

export async function launchChromium(): Promise<Browser> {
  return (await import('playwright-core')).chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
}

let axeSource: string | undefined;

/** axe-core's violations on the page as "rule (nodes)"; the context needs bypassCSP to evaluate it. */
export async function axeViolations(page: Page): Promise<string[]> {
  axeSource ??= readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(): Promise<{ violations: { id: string; nodes: unknown[] }[] }> } }).axe;
    return (await axe.run()).violations.map((v) => `${v.id} (${v.nodes.length})`);
  });
}

/** How many message keys the page asked for and its language lacked (set by i18n.ts). */
export function missingKeys(page: Page): Promise<string | null> {
  return page.evaluate(() => document.documentElement.dataset['missingKeys'] ?? null);
}
