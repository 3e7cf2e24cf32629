import type { ComponentChildren } from 'preact';

const DATE = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });

export function date(iso: string | null | undefined): string {
  return iso ? DATE.format(new Date(iso)) : '—';
}

export const STATUS_LABELS: Record<string, string> = {
  active: 'Active',
  'renewal-open': 'Renewal open',
  expired: 'Expired',
  'never-expires': 'Never expires',
};

export function Badge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{STATUS_LABELS[status] ?? status}</span>;
}

/** Why an attempt is refused now, in words (from blockedBy). */
export function reason(code: string, cert: { renewalWindowOpensAt: string | null; nextAttemptAllowedAt: string | null }): string {
  switch (code) {
    case 'WINDOW_NOT_OPEN':
      return `The renewal window opens on ${date(cert.renewalWindowOpensAt)}.`;
    case 'PROFILE_NOT_LINKED':
      return 'Link your certification profile to your learning profile to take the renewal assessment.';
    case 'CERTIFICATION_EXPIRED':
      return 'This certification has expired: pass the exam to earn it again.';
    case 'NOT_RENEWABLE':
      return 'Fundamentals certifications never expire, so there is nothing to renew.';
    case 'RETAKE_COOLDOWN':
      return `The next attempt is allowed from ${cert.nextAttemptAllowedAt ? new Date(cert.nextAttemptAllowedAt).toUTCString() : 'after the 24-hour cooldown'}.`;
    case 'PROFILE_MERGED':
      return 'This profile was merged into another one.';
    default:
      return code;
  }
}

/** Earned, window opens, expiry on one line, with today marked. */
export function Timeline({
  earnedAt,
  opensAt,
  expiresAt,
  now,
}: {
  earnedAt: string;
  opensAt: string | null;
  expiresAt: string | null;
  now: string;
}) {
  if (!expiresAt || !opensAt) return <p class="muted">No expiry: no renewal window.</p>;
  const start = Date.parse(earnedAt);
  const end = Date.parse(expiresAt);
  const span = Math.max(1, end - start);
  const at = (t: number): string => `${Math.min(100, Math.max(0, ((t - start) / span) * 100)).toFixed(2)}%`;
  const nowMs = Date.parse(now);
  const expired = nowMs >= end;
  const label = expired
    ? `Earned ${date(earnedAt)}, renewal window opened ${date(opensAt)}, expired ${date(expiresAt)}.`
    : `Earned ${date(earnedAt)}, renewal window opens ${date(opensAt)}, expires ${date(expiresAt)}; today is ${date(now)}.`;
  // The window's label sits under the band's start; it slides left in proportion (0% at the start, all of its width
  // at the end), so the start point is always within the label and the label never runs off the bar.
  const windowAt = Math.min(100, Math.max(0, ((Date.parse(opensAt) - start) / span) * 100)).toFixed(2);
  const windowStyle = { left: `${windowAt}%`, transform: `translateX(-${windowAt}%)` };
  return (
    <div class="timeline" role="img" aria-label={label}>
      <div class="timeline-track">
        <div class="timeline-window" style={{ left: at(Date.parse(opensAt)), right: '0%' }} />
        {/* Past the expiry there is no "today" on the bar: a marker at its end would read as "expires today". */}
        {!expired && <div class="timeline-now" style={{ left: at(nowMs) }} title={`Today, ${date(now)}`} />}
      </div>
      <div class="timeline-labels" aria-hidden="true">
        <span class="at-start">Earned {date(earnedAt)}</span>
        <span class="at-end">
          {expired ? 'Expired' : 'Expires'} {date(expiresAt)}
        </span>
        <span class="below" data-testid="window-label" style={windowStyle}>
          Window {date(opensAt)}
        </span>
      </div>
    </div>
  );
}

export function WeekChart({ weeks }: { weeks: { weekStart: string; count: number }[] }) {
  const max = Math.max(1, ...weeks.map((w) => w.count));
  const width = 26 * 18;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} 120`} role="img" aria-labelledby="chart-title" preserveAspectRatio="none">
        <title id="chart-title">Holdings expiring per week over the next {weeks.length} weeks</title>
        {weeks.map((week, i) => {
          const h = Math.round((week.count / max) * 100);
          return (
            <rect key={week.weekStart} x={i * 18 + 2} y={110 - h} width={14} height={Math.max(h, week.count > 0 ? 2 : 0)} class="bar">
              <title>{`Week of ${date(week.weekStart)}: ${week.count}`}</title>
            </rect>
          );
        })}
        <line x1="0" y1="110" x2={width} y2="110" class="axis" />
      </svg>
      <figcaption>
        Weeks from {date(weeks[0]?.weekStart)}; tallest bar {max}.
      </figcaption>
      <table class="visually-hidden">
        <caption>Holdings expiring per week</caption>
        <thead>
          <tr>
            <th scope="col">Week of</th>
            <th scope="col">Expiring</th>
          </tr>
        </thead>
        <tbody>
          {weeks.map((week) => (
            <tr key={week.weekStart}>
              <td>{date(week.weekStart)}</td>
              <td data-week-count={week.count}>{week.count}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

export function Section({ id, title, children }: { id: string; title: string; children: ComponentChildren }) {
  return (
    <section aria-labelledby={id} class="card">
      <h2 id={id}>{title}</h2>
      {children}
    </section>
  );
}
