import type { ComponentChildren } from 'preact';
import { date, dateTime, number, t } from './i18n';

export function Badge({ status }: { status: string }) {
  return <span class={`badge badge-${status}`}>{t(`status.${status}`, { defaultValue: status })}</span>;
}

/** Why an attempt is refused now, in words (from blockedBy). */
export function reason(code: string, cert: { renewalWindowOpensAt: string | null; nextAttemptAllowedAt: string | null }): string {
  switch (code) {
    case 'WINDOW_NOT_OPEN':
      return t('reason.WINDOW_NOT_OPEN', { date: date(cert.renewalWindowOpensAt) });
    case 'RETAKE_COOLDOWN':
      return cert.nextAttemptAllowedAt
        ? t('reason.RETAKE_COOLDOWN', { when: dateTime(cert.nextAttemptAllowedAt) })
        : t('reason.RETAKE_COOLDOWN_UNKNOWN');
    default:
      return t(`reason.${code}`, { defaultValue: code });
  }
}

/** Facts that are simply how a certification works read as information; only what went wrong is an alert colour. */
export function reasonTone(code: string): 'info' | 'wait' | 'bad' {
  if (code === 'NOT_RENEWABLE' || code === 'WINDOW_NOT_OPEN') return 'info';
  if (code === 'RETAKE_COOLDOWN') return 'wait';
  return 'bad';
}

/** Earned, window opens, expiry on one line, with today marked, each label under the date it names. */
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
  if (!expiresAt || !opensAt) return <p class="muted">{t('timeline.noExpiry')}</p>;
  const start = Date.parse(earnedAt);
  const end = Date.parse(expiresAt);
  const span = Math.max(1, end - start);
  const at = (t: number): string => `${Math.min(100, Math.max(0, ((t - start) / span) * 100)).toFixed(2)}%`;
  const nowMs = Date.parse(now);
  const expired = nowMs >= end;
  const dates = { earned: date(earnedAt), opens: date(opensAt), expires: date(expiresAt), today: date(now) };
  const label = expired ? t('timeline.labelExpired', dates) : t('timeline.label', dates);
  // The window's label sits under the band's start; it slides left in proportion (0% at the start, all of its width
  // at the end), so the start point is always within the label and the label never runs off the bar.
  const windowAt = Math.min(100, Math.max(0, ((Date.parse(opensAt) - start) / span) * 100)).toFixed(2);
  const windowStyle = { left: `${windowAt}%`, transform: `translateX(-${windowAt}%)` };
  return (
    <div class="timeline" role="img" aria-label={label}>
      <div class="timeline-track">
        <div class="timeline-window" style={{ left: at(Date.parse(opensAt)), right: '0%' }} />
        {/* Past the expiry there is no "today" on the bar: a marker at its end would read as "expires today". */}
        {!expired && <div class="timeline-now" style={{ left: at(nowMs) }} title={t('timeline.today', dates)} />}
      </div>
      <div class="timeline-labels" aria-hidden="true">
        <span class="at-start">{t('timeline.earned', dates)}</span>
        <span class="at-end">{expired ? t('timeline.expired', dates) : t('timeline.expires', dates)}</span>
        <span class="below" data-testid="window-label" style={windowStyle}>
          {t('timeline.window', dates)}
        </span>
      </div>
    </div>
  );
}

/** Bars per week with a count axis and week labels; the same numbers as a table a keyboard and a screen reader reach. */
export function WeekChart({ weeks }: { weeks: { weekStart: string; count: number }[] }) {
  const max = Math.max(1, ...weeks.map((w) => w.count));
  const left = 36;
  const step = 18;
  const width = left + weeks.length * step;
  const ticks = [0, Math.round(max / 2), max].filter((v, i, all) => all.indexOf(v) === i);
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} 150`} role="img" aria-labelledby="chart-title">
        <title id="chart-title">{t('program.chartTitle', { weeks: weeks.length })}</title>
        {ticks.map((tick) => {
          const y = 110 - Math.round((tick / max) * 100);
          return (
            <g key={tick} class="tick">
              <line x1={left - 4} y1={y} x2={width} y2={y} class="grid" />
              <text x={left - 6} y={y + 4} text-anchor="end">
                {number(tick)}
              </text>
            </g>
          );
        })}
        {weeks.map((week, i) => {
          const h = Math.round((week.count / max) * 100);
          return (
            <rect
              key={week.weekStart}
              x={left + i * step + 2}
              y={110 - h}
              width={14}
              height={Math.max(h, week.count > 0 ? 2 : 0)}
              class="bar"
            >
              <title>{t('program.weekBar', { week: date(week.weekStart), count: week.count })}</title>
            </rect>
          );
        })}
        <line x1={left} y1="110" x2={width} y2="110" class="axis" />
        <line x1={left} y1="10" x2={left} y2="110" class="axis" />
        {weeks.map((week, i) =>
          i % 4 === 0 ? (
            <text key={week.weekStart} x={left + i * step + 2} y="126" class="week-label">
              {date(week.weekStart).replace(/,? ?\d{4}年?$/, '')}
            </text>
          ) : null,
        )}
        <text x={left + (width - left) / 2} y="146" text-anchor="middle" class="axis-title">
          {t('program.weekAxis')}
        </text>
      </svg>
      <figcaption>{t('program.chartCaption', { from: date(weeks[0]?.weekStart), max: number(max) })}</figcaption>
      <details>
        <summary>{t('program.chartAsTable')}</summary>
        <table>
          <caption class="visually-hidden">{t('program.chartTableCaption')}</caption>
          <thead>
            <tr>
              <th scope="col">{t('program.weekOf')}</th>
              <th scope="col">{t('program.expiringCount')}</th>
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
      </details>
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

/** One card of a page that loads on its own: a loading line, its own error, or its content. */
export function Loadable<T>({
  state,
  children,
}: {
  state: { data: T | null; error: string | null };
  children: (data: T) => ComponentChildren;
}) {
  if (state.error)
    return (
      <p role="alert" class="error">
        {state.error}
      </p>
    );
  if (state.data === null)
    return (
      <p class="muted loading-line" aria-busy="true">
        {t('common.loading')}
      </p>
    );
  return <>{children(state.data)}</>;
}
