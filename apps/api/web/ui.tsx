import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { date, dateTime, localName, monthLabel, number, percent, t } from './i18n';

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
  /** null: no data (drawn as an empty slot, never as 0). */
  value: number | null;
  /** The value as the table and tooltip show it. */
  text: string;
  /** Shown in the table only, e.g. "3 of 4". */
  detail?: string;
  /** A period not over yet (the current month): marked on the chart and in the table. */
  partial?: boolean;
}

/**
 * Round axis steps (1, 2 or 5 times a power of ten) so the ticks read 0/20/40/60, not 0/24/47 (#27.3): up to `most`
 * ticks from 0 to a top at or above `max`.
 */
export function niceTicks(max: number, most = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / (most - 1);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = ([1, 2, 5, 10].map((m) => m * power).find((candidate) => candidate >= rough) ?? 10 * power) || 1;
  const ticks: number[] = [];
  for (let value = 0; value < max + step; value += step) {
    ticks.push(Math.round(value * 1e9) / 1e9);
    if (value >= max) break;
  }
  return ticks;
}

/** The element's width in CSS pixels, followed as it changes (so the chart's text is drawn at its real size). */
function useWidth(): [(element: Element | null) => void, number] {
  const [width, setWidth] = useState(0);
  const [element, setElement] = useState<Element | null>(null);
  useEffect(() => {
    if (!element) return undefined;
    const observer = new ResizeObserver((entries) => setWidth(Math.round(entries[0]?.contentRect.width ?? 0)));
    observer.observe(element);
    setWidth(Math.round(element.getBoundingClientRect().width));
    return () => observer.disconnect();
  }, [element]);
  return [setElement, width];
}

/**
 * Bars with a value axis and labels along the bottom; the same numbers as a table a keyboard and a screen reader
 * reach (in a details element). Shared by the program page's charts. The drawing is as wide as its box in CSS
 * pixels (no scaling), so axis text keeps its 12 px on a phone (#27.3).
 */
export function BarChart({
  id,
  bars,
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
  /** Values marked on the value axis, 0 first, the top last (see niceTicks). */
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
  const [measure, measured] = useWidth();
  const max = Math.max(...ticks, 1e-9);
  const left = 44;
  const width = Math.max(measured || 360, 240);
  const step = (width - left - 4) / Math.max(1, bars.length);
  const barWidth = Math.max(2, Math.min(28, step * 0.75));
  const top = 12;
  const bottom = 150;
  const y = (value: number): number => bottom - ((bottom - top) * value) / max;
  // Labels at least 64 px apart, whatever the number of bars and the screen.
  const every = Math.max(1, Math.ceil(64 / step));
  const partial = bars.some((bar) => bar.partial);
  return (
    <figure class="chart" ref={measure}>
      <svg width={width} height={bottom + 44} viewBox={`0 0 ${width} ${bottom + 44}`} role="img" aria-labelledby={`${id}-title`}>
        <title id={`${id}-title`}>{title}</title>
        {ticks.map((value) => (
          <g key={value} class="tick">
            <line x1={left - 4} y1={y(value)} x2={width} y2={y(value)} class="grid" />
            <text x={left - 6} y={y(value) + 4} text-anchor="end">
              {tick(value)}
            </text>
          </g>
        ))}
        {bars.map((bar, i) => {
          const x = left + i * step + (step - barWidth) / 2;
          if (bar.value === null)
            return (
              <rect key={bar.key} x={x} y={top} width={barWidth} height={bottom - top} class="no-data" data-no-data="true">
                <title>{`${bar.name}: ${bar.text}`}</title>
              </rect>
            );
          const h = bottom - y(bar.value);
          return (
            <rect
              key={bar.key}
              x={x}
              y={bottom - Math.max(h, bar.value > 0 ? 2 : 0)}
              width={barWidth}
              height={Math.max(h, bar.value > 0 ? 2 : 0)}
              class={bar.partial ? 'bar partial' : 'bar'}
            >
              <title>{`${bar.name}: ${bar.text}`}</title>
            </rect>
          );
        })}
        <line x1={left} y1={bottom} x2={width} y2={bottom} class="axis" />
        <line x1={left} y1={top} x2={left} y2={bottom} class="axis" />
        {bars.map((bar, i) =>
          bar.label === null || (i % every !== 0 && !bar.partial) ? null : (
            <text key={bar.key} x={left + i * step + step / 2} y={bottom + 16} text-anchor="middle" class="week-label">
              {bar.partial ? `${bar.label}*` : bar.label}
            </text>
          ),
        )}
        <text x={left + (width - left) / 2} y={bottom + 36} text-anchor="middle" class="axis-title">
          {axisTitle}
        </text>
      </svg>
      <figcaption>
        {caption}
        {partial && <span data-testid="partial-note"> {t('program.partialNote')}</span>}
      </figcaption>
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
              <tr key={bar.key} data-partial={bar.partial ? 'true' : undefined}>
                <td>{bar.partial ? `${bar.name} (${t('program.partialMonth')})` : bar.name}</td>
                <td {...{ [`data-${cell}`]: bar.value ?? '' }}>{bar.detail ? `${bar.text} (${bar.detail})` : bar.text}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

/** Holdings expiring per week, labelled as often as the width allows. */
export function WeekChart({ weeks }: { weeks: { weekStart: string; count: number }[] }) {
  const max = Math.max(0, ...weeks.map((w) => w.count));
  return (
    <BarChart
      id="chart"
      bars={weeks.map((week) => ({
        key: week.weekStart,
        label: date(week.weekStart).replace(/,? ?\d{4}年?$/, ''),
        name: date(week.weekStart),
        value: week.count,
        text: number(week.count),
      }))}
      ticks={niceTicks(max)}
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

/**
 * Renewal rate per month (renewed / windows closed), 0-100 %: a month with no window closed has no data (not 0 %);
 * the month of asOf is not over and is marked as such.
 */
export function RateChart({
  months,
  asOf,
}: {
  months: { month: string; closed: number; renewed: number; rate: number | null }[];
  asOf?: string;
}) {
  const monthName = (month: string, style: 'short' | 'long'): string => monthLabel(`${month}-01T00:00:00Z`, style);
  const rated = months.filter((m) => m.rate !== null);
  const renewed = rated.reduce((sum, m) => sum + m.renewed, 0);
  const closed = rated.reduce((sum, m) => sum + m.closed, 0);
  const current = asOf?.slice(0, 7);
  return (
    <BarChart
      id="rate-chart"
      bars={months.map((m) => ({
        key: m.month,
        label: monthName(m.month, 'short'),
        name: monthName(m.month, 'long'),
        value: m.rate,
        text: m.rate === null ? t('program.rateNone') : percent(m.rate),
        detail: m.rate === null ? undefined : t('program.rateOf', { renewed: number(m.renewed), closed: number(m.closed) }),
        partial: m.month === current,
      }))}
      ticks={[0, 0.25, 0.5, 0.75, 1]}
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

/** Previous, "page n of m", next (and whatever follows, e.g. a page to jump to), as one labelled navigation. */
export function Pager({
  label,
  page,
  pages,
  onPage,
  testId,
  children,
}: {
  label: string;
  page: number;
  pages: number;
  onPage: (page: number) => void;
  testId: string;
  children?: ComponentChildren;
}) {
  return (
    <nav class="pager" aria-label={label}>
      <button type="button" class="secondary" disabled={page <= 1} onClick={() => onPage(page - 1)}>
        {t('program.previous')}
      </button>
      <span data-testid={testId}>{t('program.pageOf', { page: number(page), pages: number(pages) })}</span>
      <button type="button" class="secondary" disabled={page >= pages} onClick={() => onPage(page + 1)}>
        {t('program.next')}
      </button>
      {children}
    </nav>
  );
}

/** A table's header row of column names. */
export function Head({ columns }: { columns: string[] }) {
  return (
    <thead>
      <tr>
        {columns.map((column) => (
          <th scope="col" key={column}>
            {column}
          </th>
        ))}
      </tr>
    </thead>
  );
}

/** A labelled choice of a certification by its name in the page's language (the catalog's names), or all / none. */
export function CertificationSelect({
  label,
  certifications,
  value,
  onChange,
  empty,
  required,
}: {
  label: string;
  certifications: { code: string; name: string; names?: Record<string, string> }[] | undefined;
  value: string;
  onChange: (event: Event) => void;
  /** The first option's words: "All" for a filter, "—" for a choice. */
  empty: string;
  required?: boolean;
}) {
  return (
    <label>
      {label}
      <select name="certification" value={value} onChange={onChange} required={required}>
        <option value="">{empty}</option>
        {certifications?.map((c) => (
          <option key={c.code} value={c.code}>
            {localName(c)}
          </option>
        ))}
      </select>
    </label>
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
