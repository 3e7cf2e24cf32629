import type { JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, claims, Dashboard, DashboardCertification, download, get, HistoryEvent, post } from './api';
import type { MyProfiles, ShareLinks } from './api-types';
import { currentLanguage, date, dateTime, localName, relative, t, timeZone, timeZones } from './i18n';
import { preferences, savePreferences } from './preferences';
import { Preparation } from './preparation';
import { Badge, reason, reasonTone, Section, Timeline } from './ui';

type Cert = DashboardCertification;
const HISTORY_PAGE = 10;
/** Within this many days of its expiry, an open window is "closing soon". */
const CLOSING_SOON_DAYS = 30;

/** What needs the holder first, most urgent first: renewable now, window closing soon, waiting to retry, expired. */
export type Urgency = 'renewable' | 'closing' | 'cooldown' | 'expired';
const URGENCY_ORDER: Urgency[] = ['renewable', 'closing', 'cooldown', 'expired'];

export function urgencyOf(cert: Cert): Urgency | null {
  if (cert.canAttemptNow) return 'renewable';
  if (cert.status === 'expired') return 'expired';
  if (cert.blockedBy.includes('RETAKE_COOLDOWN')) return 'cooldown';
  if (cert.status === 'renewal-open' && (cert.daysUntilExpiry ?? Infinity) <= CLOSING_SOON_DAYS) return 'closing';
  return null;
}

function rank(cert: Cert): number {
  const urgency = urgencyOf(cert);
  return urgency === null ? URGENCY_ORDER.length : URGENCY_ORDER.indexOf(urgency);
}

/** Attention first, then soonest expiry; certifications that never expire last. */
function byUrgency(a: Cert, b: Cert): number {
  return rank(a) - rank(b) || (a.expiresAt ?? '9999').localeCompare(b.expiresAt ?? '9999') || a.code.localeCompare(b.code);
}

function assessmentUrl(cert: Cert): string | null {
  return cert.renewalAssessmentUrl
    ? cert.renewalAssessmentUrl
        .replaceAll('{code}', encodeURIComponent(cert.code))
        .replaceAll('{language}', encodeURIComponent(currentLanguage()))
    : null;
}

/** When the fact happened (not when it was recorded): the event's own date where it has one. */
function factTime(event: HistoryEvent): string {
  for (const key of [
    'earnedAt',
    'opensAt',
    'notifiedAt',
    'attemptedAt',
    'renewedAt',
    'expiredAt',
    'mergedAt',
    'unlinkedAt',
    'changedAt',
    'revokedAt',
    'suspendedAt',
    'reinstatedAt',
  ]) {
    const value = event.data[key];
    if (typeof value === 'string') return value;
  }
  return event.metadata.occurredAt;
}

/** Per certification, its latest renewal from the history (the timeline marks it and the cycles before it). */
function latestRenewals(history: HistoryEvent[]): Map<string, { renewedAt: string; previousExpiresAt: string }> {
  const latest = new Map<string, { renewedAt: string; previousExpiresAt: string }>();
  for (const event of history) {
    if (event.type !== 'CertificationRenewed') continue;
    const { certificationCode: code, renewedAt, previousExpiresAt } = event.data;
    if (typeof code !== 'string' || typeof renewedAt !== 'string' || typeof previousExpiresAt !== 'string') continue;
    const seen = latest.get(code);
    if (!seen || seen.renewedAt < renewedAt) latest.set(code, { renewedAt, previousExpiresAt });
  }
  return latest;
}

function importedFrom(data: Record<string, unknown>): { system: string; sourceId: string } | undefined {
  const source = data['importedFrom'];
  if (typeof source !== 'object' || source === null) return undefined;
  const { system, sourceId } = source as Record<string, unknown>;
  return typeof system === 'string' && typeof sourceId === 'string' ? { system, sourceId } : undefined;
}

function historyWords(event: HistoryEvent, names: Map<string, string>): string {
  const text = (key: string): string => {
    const value = event.data[key];
    return typeof value === 'string' || typeof value === 'number' ? String(value) : '';
  };
  const code = text('certificationCode');
  const values = {
    name: names.get(code) ?? code,
    learnProfileId: text('learnProfileId'),
    sourceProfileId: text('sourceProfileId'),
    mergedInto: text('mergedInto'),
    fromProfileId: text('fromProfileId'),
    toProfileId: text('toProfileId'),
    attempt: text('attempt'),
    score: typeof event.data['score'] === 'number' ? String(event.data['score']) : '',
    expiresAt: typeof event.data['expiresAt'] === 'string' ? date(event.data['expiresAt']) : '',
    // R26: an override's moved expiry.
    to: typeof event.data['to'] === 'string' ? date(event.data['to']) : '',
    language: text('language'),
    timeZone: text('timeZone'),
    // #14.3: an imported fact names its legacy system and the id it had there.
    system: importedFrom(event.data)?.system ?? '',
    sourceId: importedFrom(event.data)?.sourceId ?? '',
    reminders: text('reminders')
      ? t(
          text('reminders') === 'last-only'
            ? 'preferences.remindersLastOnly'
            : text('reminders') === 'none'
              ? 'preferences.remindersNone'
              : 'preferences.remindersAll',
        )
      : '',
  };
  if (event.type === 'AssessmentAttempted') {
    const outcome = event.data['passed'] ? 'passed' : 'failed';
    return t(values.score ? `history.attempt.${outcome}WithScore` : `history.attempt.${outcome}`, values);
  }
  if (event.type === 'CertificationEarned' && Number(event.data['cycle']) > 1) return t('history.CertificationEarnedAgain', values);
  return t(`history.${event.type}`, { ...values, defaultValue: event.type });
}

function NeedsAttention({ certs, now, linkAction }: { certs: Cert[]; now: string; linkAction: JSX.Element | null }) {
  const items = certs.filter((c) => urgencyOf(c) !== null).sort(byUrgency);
  if (items.length === 0 && !linkAction) return null;
  return (
    <section aria-labelledby="attention-heading" class="card attention" data-testid="attention">
      <h2 id="attention-heading">{t('attention.title')}</h2>
      <ol class="attention-list">
        {linkAction && <li data-urgency="link">{linkAction}</li>}
        {items.map((cert) => {
          const urgency = urgencyOf(cert) as Urgency;
          const url = assessmentUrl(cert);
          return (
            <li key={cert.code} data-urgency={urgency} data-code={cert.code}>
              <strong>{localName(cert)}</strong>{' '}
              <span>
                {urgency === 'renewable' &&
                  cert.expiresAt &&
                  t('attention.renewable', { when: dateTime(cert.expiresAt), in: relative(cert.expiresAt, now) })}
                {urgency === 'closing' &&
                  cert.expiresAt &&
                  t('attention.closing', { when: dateTime(cert.expiresAt), in: relative(cert.expiresAt, now) })}
                {urgency === 'cooldown' &&
                  cert.nextAttemptAllowedAt &&
                  t('attention.cooldown', { when: dateTime(cert.nextAttemptAllowedAt), in: relative(cert.nextAttemptAllowedAt, now) })}
                {urgency === 'expired' && t('attention.expired', { when: date(cert.expiresAt) })}
              </span>
              {urgency === 'renewable' && url && (
                <a class="action" href={url} rel="noopener" target="_blank">
                  {t('attention.takeAssessment')}
                </a>
              )}
            </li>
          );
        })}
      </ol>
      <p class="muted small">{t('attention.timesIn', { zone: timeZone() })}</p>
    </section>
  );
}

/** Sharing a holding (#13.4): copy its verification link, add it to LinkedIn, download the credential or the PDF. */
function ShareActions({ share, name }: { share: ShareLinks; name: string }) {
  const [copied, setCopied] = useState<'copied' | 'manual' | null>(null);
  const credentialUrl = /[?&]download=1(&|$)/.test(share.credentialUrl)
    ? share.credentialUrl
    : `${share.credentialUrl}${share.credentialUrl.includes('?') ? '&' : '?'}download=1`;
  // Both files need the holder's token, which a plain link cannot send: fetch with it and hand the file over.
  const save = (url: string, filename: string) => (event: Event) => {
    event.preventDefault();
    void download(url, filename).catch(() => setCopied(null));
  };
  const stem = share.certificateUrl.split('/').slice(-2, -1)[0] ?? 'certification';
  return (
    <div class="share" data-testid="share">
      <div class="cert-actions">
        <button
          type="button"
          class="secondary"
          data-testid="copy-link"
          onClick={() => {
            // Without clipboard access (permission, an insecure page) the link is shown to copy by hand.
            (navigator.clipboard?.writeText(share.verificationUrl) ?? Promise.reject(new Error('no clipboard')))
              .then(() => setCopied('copied'))
              .catch(() => setCopied('manual'));
          }}
        >
          {t('share.copy')}
        </button>
        <a class="action secondary" href={share.linkedInUrl} target="_blank" rel="noopener" data-testid="linkedin">
          {t('share.linkedIn')}
          <span class="visually-hidden"> {t('share.newTab', { name })}</span>
        </a>
        <a class="action secondary" href={credentialUrl} onClick={save(credentialUrl, `${stem}.vc.jwt`)} data-testid="credential">
          {t('share.credential')}
        </a>
        <a
          class="action secondary"
          href={share.certificateUrl}
          onClick={save(share.certificateUrl, `${stem}-certificate.pdf`)}
          data-testid="certificate"
        >
          {t('share.certificate')}
        </a>
      </div>
      <p role="status" class="muted small" data-testid="copy-status">
        {copied === 'copied' && t('share.copied')}
        {copied === 'manual' && (
          <>
            {t('share.copyByHand')} <input readOnly value={share.verificationUrl} aria-label={t('share.link')} size={40} />
          </>
        )}
      </p>
    </div>
  );
}

/** The holder's own time zone and reminder choice, kept by the server (#15.3); the language is in the header. */
function PreferencesCard({ onSaved }: { onSaved: () => void }) {
  const kept = preferences();
  const [zone, setZone] = useState(timeZone());
  const [reminders, setReminders] = useState<'all' | 'last-only' | 'none'>(kept?.reminders ?? 'all');
  const [state, setState] = useState<'idle' | 'saved' | 'failed'>('idle');
  return (
    <Section id="preferences-heading" title={t('preferences.title')}>
      <form
        class="filters"
        data-testid="preferences"
        onSubmit={(event) => {
          event.preventDefault();
          savePreferences({ timeZone: zone, reminders })
            .then(() => {
              setState('saved');
              onSaved();
            })
            .catch(() => setState('failed'));
        }}
      >
        <label>
          {t('preferences.timeZone')}
          <select name="timeZone" value={zone} onChange={(e) => setZone((e.target as HTMLSelectElement).value)}>
            {timeZones().map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </label>
        <label>
          {t('preferences.reminders')}
          <select
            name="reminders"
            value={reminders}
            onChange={(e) => setReminders((e.target as HTMLSelectElement).value as 'all' | 'last-only' | 'none')}
          >
            <option value="all">{t('preferences.remindersAll')}</option>
            <option value="last-only">{t('preferences.remindersLastOnly')}</option>
            <option value="none">{t('preferences.remindersNone')}</option>
          </select>
        </label>
        <div class="filter-actions">
          <button type="submit">{t('preferences.save')}</button>
        </div>
      </form>
      <p role="status" class={state === 'failed' ? 'error' : 'muted small'} data-testid="preferences-status">
        {state === 'saved' ? t('preferences.saved', { zone: timeZone() }) : state === 'failed' ? t('preferences.failed') : ''}
      </p>
    </Section>
  );
}

export function HolderPage() {
  const who = claims();
  // Support and admins arrive from the program page's holder links with ?profile=<id>.
  const linked = who?.profileId ?? new URLSearchParams(window.location.search).get('profile') ?? '';
  const [profileId, setProfileId] = useState(linked);
  const [requested, setRequested] = useState(linked);
  const [dashboard, setDashboard] = useState<Dashboard | null>(null);
  const [history, setHistory] = useState<HistoryEvent[]>([]);
  const [shownHistory, setShownHistory] = useState(HISTORY_PAGE);
  const [error, setError] = useState<string | null>(null);
  const [reload, setReload] = useState(0);
  const [linkProblem, setLinkProblem] = useState<string | null>(null);
  // A holder signed in through the issuer owns profiles by account (R68): it sees those, and only those.
  const byAccount = who !== null && !who.profileId && !who.roles.some((role) => role === 'admin' || role === 'support');
  const [mine, setMine] = useState<MyProfiles | null>(null);

  useEffect(() => {
    if (!byAccount) return;
    get<MyProfiles>('/me/profiles')
      .then((found) => {
        setMine(found);
        const first = found.profiles[0]?.profileId;
        if (first) setRequested((current) => current || first);
      })
      .catch((e: unknown) => setError(e instanceof ApiError ? `${e.problem.title}: ${e.problem.detail}` : t('holder.loadFailed')));
  }, [byAccount]);

  useEffect(() => {
    if (!requested) return;
    setError(null);
    Promise.all([
      get<Dashboard>(`/certification-profiles/${encodeURIComponent(requested)}/dashboard`),
      // Paged (#23.5): the largest page, which holds every event of all but the longest-lived holders.
      get<{ events: HistoryEvent[] }>(`/certification-profiles/${encodeURIComponent(requested)}/history?limit=500`),
    ])
      .then(([d, h]) => {
        setDashboard(d);
        setHistory([...h.events].sort((a, b) => factTime(b).localeCompare(factTime(a)) || b.position - a.position));
      })
      .catch((e: unknown) => {
        setDashboard(null);
        setError(e instanceof ApiError ? `${e.problem.title}: ${e.problem.detail}` : t('holder.loadFailed'));
      });
  }, [requested, reload]);

  const certs = dashboard ? [...dashboard.certifications].sort(byUrgency) : [];
  const names = new Map(certs.map((c) => [c.code, localName(c)]));
  const renewals = latestRenewals(history);
  const unlinked =
    dashboard !== null && !dashboard.profile.linkedLearnProfileId && certs.some((c) => c.blockedBy.includes('PROFILE_NOT_LINKED'));
  // Linking proves ownership with the learning account the holder signed in with (its claims are in the token).
  const ownsShown = who?.profileId
    ? who.profileId === dashboard?.profile.profileId
    : (mine?.profiles.some((p) => p.profileId === dashboard?.profile.profileId) ?? false);
  const ownLearnProfile = ownsShown ? who?.learnProfileId : undefined;
  const linkAction = unlinked ? (
    <div class="link-action" data-testid="link-notice">
      <span>{t('attention.link')}</span>
      {ownLearnProfile ? (
        <button
          type="button"
          onClick={() => {
            setLinkProblem(null);
            post(`/certification-profiles/${encodeURIComponent(requested)}/learn-profile-link`, { learnProfileId: ownLearnProfile })
              .then(() => setReload((n) => n + 1))
              .catch((e: unknown) => setLinkProblem(e instanceof ApiError ? e.problem.detail : t('attention.linkFailed')));
          }}
        >
          {t('attention.linkAction')}
        </button>
      ) : (
        <span class="muted small">{t('attention.linkHow')}</span>
      )}
      {linkProblem && (
        <p role="alert" class="error">
          {linkProblem}
        </p>
      )}
    </div>
  ) : null;

  return (
    <>
      {byAccount && mine && (
        <Section id="my-profiles-heading" title={t('holder.myProfiles')}>
          {mine.mustMerge && (
            <p role="status" class="notice" data-testid="must-merge">
              {t('holder.mustMerge', { count: mine.profiles.length })}
            </p>
          )}
          {mine.profiles.length === 0 ? (
            <p data-testid="no-profiles">{t('holder.noProfiles')}</p>
          ) : (
            <ul class="my-profiles" data-testid="my-profiles">
              {mine.profiles.map((p) => (
                <li key={p.profileId}>
                  <button
                    type="button"
                    class="link"
                    aria-current={p.profileId === requested ? 'true' : undefined}
                    onClick={() => setRequested(p.profileId)}
                  >
                    {p.profileId}
                  </button>
                </li>
              ))}
            </ul>
          )}
        </Section>
      )}
      {!who?.profileId && !byAccount && (
        <form
          class="card lookup"
          onSubmit={(event) => {
            event.preventDefault();
            setRequested(profileId.trim());
          }}
        >
          <label for="profile-id">{t('holder.lookupLabel')}</label>
          <input
            id="profile-id"
            name="profileId"
            value={profileId}
            onInput={(e) => setProfileId((e.target as HTMLInputElement).value)}
            required
          />
          <button type="submit">{t('holder.lookupSubmit')}</button>
        </form>
      )}
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {dashboard && (
        <>
          <Section id="profile-heading" title={dashboard.profile.displayName ?? dashboard.profile.profileId}>
            <dl class="facts">
              <dt>{t('holder.profile')}</dt>
              <dd data-testid="profile-id">{dashboard.profile.profileId}</dd>
              <dt>{t('holder.learnProfile')}</dt>
              <dd data-testid="linked-learn-profile">{dashboard.profile.linkedLearnProfileId ?? t('holder.notLinked')}</dd>
              <dt>{t('holder.asOf')}</dt>
              <dd>{dateTime(dashboard.asOf)}</dd>
            </dl>
          </Section>
          <NeedsAttention certs={certs} now={dashboard.asOf} linkAction={linkAction} />
          <Section id="certs-heading" title={t('holder.certifications')}>
            {certs.length === 0 && <p class="muted">{t('holder.none')}</p>}
            <ul class="certs">
              {certs.map((cert) => {
                const cardReasons = cert.blockedBy.filter((code) => code !== 'PROFILE_NOT_LINKED');
                const url = assessmentUrl(cert);
                return (
                  <li key={cert.code} class="cert" data-code={cert.code}>
                    <div class="cert-head">
                      <h3>{localName(cert)}</h3>
                      <Badge status={cert.status} />
                    </div>
                    <dl class="facts">
                      <dt>{t('cert.expires')}</dt>
                      <dd data-testid="expires">{cert.expiresAt ? date(cert.expiresAt) : t('cert.never')}</dd>
                      <dt>{cert.status === 'expired' ? t('cert.expiredOn') : t('cert.daysLeft')}</dt>
                      <dd data-testid="days-left">{cert.status === 'expired' ? date(cert.expiresAt) : (cert.daysUntilExpiry ?? '—')}</dd>
                      {cert.importedFrom && (
                        <>
                          <dt>{t('cert.importedFrom')}</dt>
                          <dd data-testid="imported-from">{t('cert.importedSource', cert.importedFrom)}</dd>
                        </>
                      )}
                      <dt>{t('cert.attempts')}</dt>
                      <dd data-testid="attempts">{cert.attempts}</dd>
                      <dt>{t('cert.nextAttempt')}</dt>
                      <dd data-testid="next-attempt">
                        {cert.canAttemptNow
                          ? t('cert.now')
                          : cert.nextAttemptAllowedAt
                            ? `${dateTime(cert.nextAttemptAllowedAt)} (${relative(cert.nextAttemptAllowedAt, dashboard.asOf)})`
                            : '—'}
                      </dd>
                    </dl>
                    {cert.override && (
                      // R26: an override is shown as such, with its reason (the admins' names stay in the audit).
                      <p class="override" data-testid="override" data-kind={cert.override.kind}>
                        {t(`cert.override.${cert.override.kind}`, {
                          from: cert.override.from ? date(cert.override.from) : '—',
                          to: cert.override.to ? date(cert.override.to) : '—',
                          reason: cert.override.reason,
                        })}
                      </p>
                    )}
                    <Timeline
                      earnedAt={cert.earnedAt}
                      opensAt={cert.renewalWindowOpensAt}
                      expiresAt={cert.expiresAt}
                      now={dashboard.asOf}
                      renewal={renewals.get(cert.code) ?? null}
                    />
                    {cardReasons.length > 0 && (
                      <ul class="reasons" aria-label={t('cert.whyNot')}>
                        {cardReasons.map((code) => (
                          <li key={code} data-code={code} class={`reason-${reasonTone(code)}`}>
                            {reason(code, cert)}
                          </li>
                        ))}
                      </ul>
                    )}
                    <div class="cert-actions">
                      {cert.canAttemptNow && url && (
                        <a class="action" href={url} rel="noopener" target="_blank">
                          {t('attention.takeAssessment')}
                        </a>
                      )}
                      {cert.canAttemptNow && !url && <p class="ok">{t('cert.canAttempt')}</p>}
                      <Preparation cert={cert} now={dashboard.asOf} />
                      {cert.expiresAt && cert.status !== 'expired' && (
                        <button
                          type="button"
                          class="secondary"
                          data-testid="calendar"
                          onClick={() =>
                            void download(
                              `/certification-profiles/${encodeURIComponent(dashboard.profile.profileId)}/certifications/${encodeURIComponent(cert.code)}/calendar.ics?lang=${currentLanguage()}&tz=${encodeURIComponent(timeZone())}`,
                              `${cert.code}.ics`,
                            )
                          }
                        >
                          {t('cert.addToCalendar')}
                        </button>
                      )}
                    </div>
                    {cert.share && <ShareActions share={cert.share} name={localName(cert)} />}
                  </li>
                );
              })}
            </ul>
          </Section>
          {ownsShown && <PreferencesCard onSaved={() => setReload((n) => n + 1)} />}
          <Section id="history-heading" title={t('holder.history')}>
            <ol class="history" data-testid="history">
              {history.slice(0, shownHistory).map((event) => (
                <li key={event.id} data-type={event.type}>
                  <time dateTime={factTime(event)}>{date(factTime(event))}</time>
                  <span>{historyWords(event, names)}</span>
                  <span class="muted small">{t(`history.by.${event.type}`, { defaultValue: '' })}</span>
                </li>
              ))}
            </ol>
            {history.length > shownHistory && (
              <button type="button" class="secondary" onClick={() => setShownHistory((n) => n + HISTORY_PAGE)}>
                {t('holder.olderHistory', { count: history.length - shownHistory })}
              </button>
            )}
          </Section>
        </>
      )}
    </>
  );
}
