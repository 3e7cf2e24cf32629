import { useEffect, useState } from 'preact/hooks';
import { ApiError, claims, Dashboard, get, HistoryEvent } from './api';
import { Badge, date, reason, Section, Timeline } from './ui';

const EVENT_WORDS: Record<string, (e: HistoryEvent) => string> = {
  CertificationProfileCreated: () => 'Certification profile created',
  ProfilesLinked: (e) => `Linked to learning profile ${String(e.data['learnProfileId'])}`,
  CertificationProfilesMerged: (e) => `Profile ${String(e.data['sourceProfileId'])} merged into this one`,
  CertificationProfileClosed: (e) => `Merged into profile ${String(e.data['mergedInto'])}`,
  CertificationEarned: (e) => `Earned ${String(e.data['certificationCode'])}${Number(e.data['cycle']) > 1 ? ' again' : ''}`,
  RenewalWindowOpened: (e) => `Renewal window opened for ${String(e.data['certificationCode'])}`,
  RenewalEligibilityNotified: (e) => `Told that ${String(e.data['certificationCode'])} can be renewed`,
  AssessmentAttempted: (e) =>
    `Renewal assessment attempt ${String(e.data['attempt'])} for ${String(e.data['certificationCode'])}: ${e.data['passed'] ? 'passed' : 'not passed'}`,
  CertificationRenewed: (e) => `${String(e.data['certificationCode'])} renewed until ${date(String(e.data['expiresAt']))}`,
  CertificationExpired: (e) => `${String(e.data['certificationCode'])} expired`,
  HoldingMergedIn: (e) => `${String(e.data['certificationCode'])} moved here from profile ${String(e.data['fromProfileId'])}`,
  HoldingMergedOut: (e) => `${String(e.data['certificationCode'])} moved to profile ${String(e.data['toProfileId'])}`,
};

/** The profile-wide reason (not linked) is shown once above the cards, not repeated on each. */
function cardReasons(blockedBy: string[]): string[] {
  return blockedBy.filter((code) => code !== 'PROFILE_NOT_LINKED');
}

/** Facts that are simply how a certification works read as information; only what went wrong is an alert colour. */
function reasonTone(code: string): 'info' | 'wait' | 'bad' {
  if (code === 'NOT_RENEWABLE' || code === 'WINDOW_NOT_OPEN') return 'info';
  if (code === 'RETAKE_COOLDOWN') return 'wait';
  return 'bad';
}

export function HolderPage() {
  const who = claims();
  const [profileId, setProfileId] = useState(who?.profileId ?? '');
  const [requested, setRequested] = useState(who?.profileId ?? '');
  const [dashboard, setDashboard] = useState<Dashboard | null>(null);
  const [history, setHistory] = useState<HistoryEvent[]>([]);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    if (!requested) return;
    setError(null);
    Promise.all([
      get<Dashboard>(`/certification-profiles/${encodeURIComponent(requested)}/dashboard`),
      get<{ events: HistoryEvent[] }>(`/certification-profiles/${encodeURIComponent(requested)}/history`),
    ])
      .then(([d, h]) => {
        setDashboard(d);
        setHistory(h.events);
      })
      .catch((e: unknown) => {
        setDashboard(null);
        setError(e instanceof ApiError ? `${e.problem.title}: ${e.problem.detail}` : 'The dashboard could not be loaded.');
      });
  }, [requested]);

  return (
    <>
      {!who?.profileId && (
        <form
          class="card lookup"
          onSubmit={(event) => {
            event.preventDefault();
            setRequested(profileId.trim());
          }}
        >
          <label for="profile-id">Certification profile id</label>
          <input
            id="profile-id"
            name="profileId"
            value={profileId}
            onInput={(e) => setProfileId((e.target as HTMLInputElement).value)}
            required
          />
          <button type="submit">Show</button>
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
              <dt>Profile</dt>
              <dd data-testid="profile-id">{dashboard.profile.profileId}</dd>
              <dt>Learning profile</dt>
              <dd data-testid="linked-learn-profile">{dashboard.profile.linkedLearnProfileId ?? 'Not linked'}</dd>
              <dt>As of</dt>
              <dd>{date(dashboard.asOf)}</dd>
            </dl>
          </Section>
          {!dashboard.profile.linkedLearnProfileId && dashboard.certifications.some((c) => c.blockedBy.includes('PROFILE_NOT_LINKED')) && (
            // Said once for the profile, not on every card: linking is one step that unblocks them all.
            <p class="notice" data-testid="link-notice">
              {reason('PROFILE_NOT_LINKED', { renewalWindowOpensAt: null, nextAttemptAllowedAt: null })}
            </p>
          )}
          <Section id="certs-heading" title="Certifications">
            {dashboard.certifications.length === 0 && <p class="muted">No certification yet.</p>}
            <ul class="certs">
              {dashboard.certifications.map((cert) => (
                <li key={cert.code} class="cert" data-code={cert.code}>
                  <div class="cert-head">
                    <h3>{cert.name}</h3>
                    <Badge status={cert.status} />
                  </div>
                  <dl class="facts">
                    <dt>Expires</dt>
                    <dd data-testid="expires">{cert.expiresAt ? date(cert.expiresAt) : 'Never'}</dd>
                    <dt>{cert.status === 'expired' ? 'Expired' : 'Days left'}</dt>
                    <dd data-testid="days-left">
                      {cert.status === 'expired' ? `on ${date(cert.expiresAt)}` : (cert.daysUntilExpiry ?? '—')}
                    </dd>
                    <dt>Attempts this window</dt>
                    <dd data-testid="attempts">{cert.attempts}</dd>
                    <dt>Next attempt</dt>
                    <dd>
                      {cert.canAttemptNow ? 'Now' : cert.nextAttemptAllowedAt ? new Date(cert.nextAttemptAllowedAt).toUTCString() : '—'}
                    </dd>
                  </dl>
                  <Timeline earnedAt={cert.earnedAt} opensAt={cert.renewalWindowOpensAt} expiresAt={cert.expiresAt} now={dashboard.asOf} />
                  {cardReasons(cert.blockedBy).length > 0 && (
                    <ul class="reasons" aria-label="Why the renewal assessment cannot be taken now">
                      {cardReasons(cert.blockedBy).map((code) => (
                        <li key={code} data-code={code} class={`reason-${reasonTone(code)}`}>
                          {reason(code, cert)}
                        </li>
                      ))}
                    </ul>
                  )}
                  {cert.canAttemptNow && <p class="ok">The renewal assessment can be taken now.</p>}
                </li>
              ))}
            </ul>
          </Section>
          <Section id="history-heading" title="History">
            <ol class="history" data-testid="history">
              {history.map((event) => (
                <li key={event.id}>
                  <time dateTime={event.metadata.occurredAt}>{date(event.metadata.occurredAt)}</time>
                  <span>{(EVENT_WORDS[event.type] ?? ((e: HistoryEvent) => e.type))(event)}</span>
                  <span class="muted small">
                    by {event.metadata.actor}
                    {event.metadata.policyVersion ? `, policy ${event.metadata.policyVersion}` : ''}
                  </span>
                </li>
              ))}
            </ol>
          </Section>
        </>
      )}
    </>
  );
}
