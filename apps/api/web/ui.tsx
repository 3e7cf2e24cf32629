import type { ComponentChildren } from 'preact';
import { date, dateTime, monthLabel, number, percent, t } from './i18n';

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
  renewal,
}: {
  earnedAt: string;
  opensAt: string | null;
  expiresAt: string | null;
  now: string;
  /** The latest renewal, when there was one: the cycles before it end at previousExpiresAt (#15 timeline). */
  renewal?: { renewedAt: string; previousExpiresAt: string } | null;
}) {
  if (!expiresAt || !opensAt) return <p class="muted">{t('timeline.noExpiry')}</p>;
  const start = Date.parse(earnedAt);
  const end = Date.parse(expiresAt);
  const span = Math.max(1, end - start);
  const at = (t: number): string => `${Math.min(100, Math.max(0, ((t - start) / span) * 100)).toFixed(2)}%`;
  const nowMs = Date.parse(now);
  const expired = nowMs >= end;
  const dates = {
    earned: date(earnedAt),
    opens: date(opensAt),
    expires: date(expiresAt),
    today: date(now),
    renewed: date(renewal?.renewedAt),
    previous: date(renewal?.previousExpiresAt),
  };
  const label = `${expired ? t('timeline.labelExpired', dates) : t('timeline.label', dates)}${renewal ? ` ${t('timeline.labelRenewed', dates)}` : ''}`;
  // A label sits under the point it names; it slides left in proportion (0% at the start, all of its width at the
  // end), so the point is always within the label and the label never runs off the bar.
  const slide = (iso: string): { left: string; transform: string } => {
    const percent = Math.min(100, Math.max(0, ((Date.parse(iso) - start) / span) * 100)).toFixed(2);
    return { left: `${percent}%`, transform: `translateX(-${percent}%)` };
  };
  return (
    <div class={renewal ? 'timeline renewed' : 'timeline'} role="img" aria-label={label}>
      <div class="timeline-track">
        {renewal && (
          <div
            class="timeline-previous"
            data-testid="previous-cycle"
            style={{ left: '0%', width: at(Date.parse(renewal.previousExpiresAt)) }}
            title={t('timeline.previous', dates)}
          />
        )}
        <div class="timeline-window" style={{ left: at(Date.parse(opensAt)), right: '0%' }} />
        {renewal && <div class="timeline-renewed" data-testid="renewed-marker" style={{ left: at(Date.parse(renewal.renewedAt)) }} />}
        {/* Past the expiry there is no "today" on the bar: a marker at its end would read as "expires today". */}
        {!expired && <div class="timeline-now" style={{ left: at(nowMs) }} title={t('timeline.today', dates)} />}
      </div>
      <div class="timeline-labels" aria-hidden="true">
        <span class="at-start">{t('timeline.earned', dates)}</span>
        <span class="at-end">{expired ? t('timeline.expired', dates) : t('timeline.expires', dates)}</span>
        <span class="below" data-testid="window-label" style={slide(opensAt)}>
          {t('timeline.window', dates)}
        </span>
        {renewal && (
          <span class="below-2" data-testid="renewed-label" style={slide(renewal.renewedAt)}>
            {t('timeline.renewed', dates)}
          </span>
        )}
      </div>
    </div>
  );
}

/** One bar: its axis label (or null to leave the slot unlabelled), its value, and its words for the tooltip and table. */
export interface Bar {
  key: string;
  label: string | null;
  /** The row's first cell in the table. */
  name: string;
  value: number;
  /** The value as the table and tooltip show it. */
  text: string;
  /** Shown in the table only, e.g. "3 of 4". */
  detail?: string;
}

/**
 * Bars with a value axis and labels along the bottom; the same numbers as a table a keyboard and a screen reader
 * reach (in a details element). Shared by the program page's charts.
 */
export function BarChart({
  id,
  bars,
  max,
  ticks,
  tick,
  title,
  axisTitle,
  caption,
  tableCaption,
  columns,
  cell,
}: {
  id: string;
  bars: Bar[];
  max: number;
  /** Values marked on the value axis. */
  ticks: number[];
  tick: (value: number) => string;
  title: string;
  axisTitle: string;
  caption: string;
  tableCaption: string;
  columns: [string, string];
  /** The data attribute naming a value cell (tests and scripts read it). */
  cell: string;
}) {
  const left = 40;
  const step = 18;
  const width = left + bars.length * step;
  return (
    <figure class="chart">
      <svg viewBox={`0 0 ${width} 150`} role="img" aria-labelledby={`${id}-title`}>
        <title id={`${id}-title`}>{title}</title>
        {ticks.map((value) => {
          const y = 110 - Math.round((value / max) * 100);
          return (
            <g key={value} class="tick">
              <line x1={left - 4} y1={y} x2={width} y2={y} class="grid" />
              <text x={left - 6} y={y + 4} text-anchor="end">
                {tick(value)}
              </text>
            </g>
          );
        })}
        {bars.map((bar, i) => {
          const h = Math.round((bar.value / max) * 100);
          return (
            <rect key={bar.key} x={left + i * step + 2} y={110 - h} width={14} height={Math.max(h, bar.value > 0 ? 2 : 0)} class="bar">
              <title>{`${bar.name}: ${bar.text}`}</title>
            </rect>
          );
        })}
        <line x1={left} y1="110" x2={width} y2="110" class="axis" />
        <line x1={left} y1="10" x2={left} y2="110" class="axis" />
        {bars.map((bar, i) =>
          bar.label === null ? null : (
            <text key={bar.key} x={left + i * step + 2} y="126" class="week-label">
              {bar.label}
            </text>
          ),
        )}
        <text x={left + (width - left) / 2} y="146" text-anchor="middle" class="axis-title">
          {axisTitle}
        </text>
      </svg>
      <figcaption>{caption}</figcaption>
      <details>
        <summary>{t('program.chartAsTable')}</summary>
        <table>
          <caption class="visually-hidden">{tableCaption}</caption>
          <thead>
            <tr>
              <th scope="col">{columns[0]}</th>
              <th scope="col">{columns[1]}</th>
            </tr>
          </thead>
          <tbody>
            {bars.map((bar) => (
              <tr key={bar.key}>
                <td>{bar.name}</td>
                <td {...{ [`data-${cell}`]: bar.value }}>{bar.detail ? `${bar.text} (${bar.detail})` : bar.text}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

/** Holdings expiring per week, every fourth week labelled. */
export function WeekChart({ weeks }: { weeks: { weekStart: string; count: number }[] }) {
  const max = Math.max(1, ...weeks.map((w) => w.count));
  return (
    <BarChart
      id="chart"
      bars={weeks.map((week, i) => ({
        key: week.weekStart,
        label: i % 4 === 0 ? date(week.weekStart).replace(/,? ?\d{4}年?$/, '') : null,
        name: date(week.weekStart),
        value: week.count,
        text: number(week.count),
      }))}
      max={max}
      ticks={[0, Math.round(max / 2), max].filter((v, i, all) => all.indexOf(v) === i)}
      tick={number}
      title={t('program.chartTitle', { weeks: weeks.length })}
      axisTitle={t('program.weekAxis')}
      caption={t('program.chartCaption', { from: date(weeks[0]?.weekStart), max: number(max) })}
      tableCaption={t('program.chartTableCaption')}
      columns={[t('program.weekOf'), t('program.expiringCount')]}
      cell="week-count"
    />
  );
}

/** Renewal rate per month (renewed / windows closed), 0-100 %; a month with no window closed has no bar. */
export function RateChart({ months }: { months: { month: string; closed: number; renewed: number; rate: number | null }[] }) {
  const monthName = (month: string, style: 'short' | 'long'): string => monthLabel(`${month}-01T00:00:00Z`, style);
  const rated = months.filter((m) => m.rate !== null);
  const renewed = rated.reduce((sum, m) => sum + m.renewed, 0);
  const closed = rated.reduce((sum, m) => sum + m.closed, 0);
  return (
    <BarChart
      id="rate-chart"
      bars={months.map((m, i) => ({
        key: m.month,
        label: i % 3 === 0 ? monthName(m.month, 'short') : null,
        name: monthName(m.month, 'long'),
        value: m.rate ?? 0,
        text: m.rate === null ? t('program.rateNone') : percent(m.rate),
        detail: m.rate === null ? undefined : t('program.rateOf', { renewed: number(m.renewed), closed: number(m.closed) }),
      }))}
      max={1}
      ticks={[0, 0.5, 1]}
      tick={percent}
      title={t('program.rateChartTitle', { months: months.length })}
      axisTitle={t('program.monthAxis')}
      caption={
        closed > 0
          ? t('program.rateCaption', { rate: percent(renewed / closed), renewed: number(renewed), closed: number(closed) })
          : t('program.rateCaptionNone')
      }
      tableCaption={t('program.rateTableCaption')}
      columns={[t('program.month'), t('program.rate')]}
      cell="rate"
    />
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
