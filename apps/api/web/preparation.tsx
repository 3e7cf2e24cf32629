import { currentLanguage, dateTime, relative, t } from './i18n';
import type { DashboardCertification } from './api';

type Module = { title: string; url: string; minutes: number };

/** The catalog's modules in the page's language, else English, else the first language given (#29). */
function modulesFor(preparation: Record<string, Module[]>, language: string): Module[] {
  const exact = Object.keys(preparation).find((tag) => tag.toLowerCase() === language.toLowerCase());
  return preparation[exact ?? ('en' in preparation ? 'en' : (Object.keys(preparation)[0] ?? ''))] ?? [];
}

const fill = (template: string, code: string): string =>
  template.replaceAll('{code}', encodeURIComponent(code)).replaceAll('{language}', encodeURIComponent(currentLanguage()));

/**
 * #29: how to prepare and renew, beside the renew action: the free modules while the holding can be renewed, again
 * after a failed attempt with the next allowed attempt time (R8), and for an expired or revoked holding the exam that
 * earns it again.
 */
export function Preparation({ cert, now }: { cert: DashboardCertification; now: string }) {
  if ((cert.status === 'expired' || cert.status === 'revoked') && cert.examUrl) {
    return (
      <p class="prepare" data-testid="earn-again">
        <a class="action secondary" href={fill(cert.examUrl, cert.code)} rel="noopener" target="_blank">
          {t('prepare.earnAgain')}
        </a>
      </p>
    );
  }
  const cooldown = cert.blockedBy.includes('RETAKE_COOLDOWN') && cert.nextAttemptAllowedAt !== null;
  const modules = modulesFor(cert.preparation, currentLanguage());
  if (modules.length === 0 || !(cert.canAttemptNow || cooldown)) return null;
  return (
    <div class="prepare" data-testid="prepare">
      {cooldown && cert.nextAttemptAllowedAt && (
        <p data-testid="retry-at">
          {t('prepare.retryAt', { when: dateTime(cert.nextAttemptAllowedAt), in: relative(cert.nextAttemptAllowedAt, now) })}
        </p>
      )}
      <p class="small">{t('prepare.title')}</p>
      <ul>
        {modules.map((module) => (
          <li key={module.url}>
            <a href={module.url} rel="noopener" target="_blank">
              {module.title}
            </a>{' '}
            <span class="muted">{t('prepare.minutes', { minutes: module.minutes })}</span>
          </li>
        ))}
      </ul>
    </div>
  );
}
