import type { FunctionComponent } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { ApiError, Expiring, ExpiringByWeek, get, RenewalRate, Summary } from './api';
import { date, localName, number, t } from './i18n';
import { CertificationSelect, Head, Loadable, Pager, RateChart, Section, WeekChart } from './ui';

// Every status, so the rows add up to their totals (#27.3).
const STATUSES = ['active', 'renewal-open', 'expired', 'never-expires', 'suspended', 'revoked'];
const PAGE_SIZE = 20;

interface Card<T> {
  data: T | null;
  error: string | null;
}

function problemText(e: unknown): string {
  return e instanceof ApiError ? `${e.problem.title}: ${e.problem.detail}` : t('program.loadFailed');
}

/**
 * Each card loads on its own: one failed report shows its own error and the others still answer. An answer is kept
 * with the path it answers, so a card never shows the previous page's rows under the next page's number.
 */
function useCard<T>(path: string | null): Card<T> {
  const [card, setCard] = useState<Card<T> & { path: string | null }>({ data: null, error: null, path: null });
  useEffect(() => {
    if (path === null) return undefined;
    let current = true; // a late answer for a path left behind must not replace the new one
    get<T>(path)
      .then((data) => current && setCard({ data, error: null, path }))
      .catch((e: unknown) => current && setCard({ data: null, error: problemText(e), path }));
    return () => {
      current = false;
    };
  }, [path]);
  return card.path === path ? card : { data: null, error: null };
}

interface Filters {
  certification: string;
  status: string;
  from: string;
  to: string;
}

function expiringPath(filters: Filters, page: number, pageSize = PAGE_SIZE): string {
  const query = new URLSearchParams({ withinDays: '182', page: String(page), pageSize: String(pageSize) });
  if (filters.certification) query.set('certification', filters.certification);
  if (filters.status) query.set('status', filters.status);
  if (filters.from) query.set('expiresFrom', `${filters.from}T00:00:00Z`);
  if (filters.to) query.set('expiresTo', `${filters.to}T23:59:59Z`);
  return `/reports/expiring?${query.toString()}`;
}

/** Every row the filters show (all pages), as CSV a spreadsheet opens. */
async function exportCsv(filters: Filters): Promise<void> {
  const rows: Expiring['items'] = [];
  for (let page = 1; ; page += 1) {
    const chunk = await get<Expiring>(expiringPath(filters, page, 500));
    rows.push(...chunk.items);
    if (rows.length >= chunk.total || chunk.items.length === 0) break;
  }
  const cell = (value: string | number): string =>
    /[",\n]/.test(String(value)) ? `"${String(value).replace(/"/g, '""')}"` : String(value);
  const lines = [
    ['profileId', 'certification', 'name', 'status', 'expiresAt', 'daysUntilExpiry', 'blockedBy'].join(','),
    ...rows.map((r) => [r.profileId, r.code, r.name, r.status, r.expiresAt, r.daysUntilExpiry, r.blockedBy.join(' ')].map(cell).join(',')),
  ];
  const url = URL.createObjectURL(new Blob([`${lines.join('\r\n')}\r\n`], { type: 'text/csv;charset=utf-8' }));
  const link = document.createElement('a');
  link.href = url;
  link.download = 'expiring.csv';
  link.click();
  URL.revokeObjectURL(url);
}

function ExpiringCard({ summary }: { summary: Summary | null }) {
  const [filters, setFilters] = useState<Filters>({ certification: '', status: '', from: '', to: '' });
  const [draft, setDraft] = useState<Filters>(filters);
  const [page, setPage] = useState(1);
  const expiring = useCard<Expiring>(expiringPath(filters, page));
  const pages = expiring.data ? Math.max(1, Math.ceil(expiring.data.total / PAGE_SIZE)) : 1;
  const field = (key: keyof Filters) => (e: Event) => setDraft({ ...draft, [key]: (e.target as HTMLInputElement).value });
  const names = new Map((summary?.byCertification ?? []).map((c) => [c.code, localName(c)]));
  return (
    <Section id="soonest-heading" title={t('program.expiringTitle', { count: expiring.data?.total ?? 0 })}>
      <form
        class="filters"
        data-testid="filters"
        onSubmit={(event) => {
          event.preventDefault();
          setFilters(draft);
          setPage(1);
        }}
      >
        <CertificationSelect
          label={t('program.filterCertification')}
          certifications={summary?.byCertification}
          value={draft.certification}
          onChange={field('certification')}
          empty={t('program.all')}
        />
        <label>
          {t('program.filterStatus')}
          <select name="status" value={draft.status} onChange={field('status')}>
            <option value="">{t('program.all')}</option>
            <option value="active">{t('status.active')}</option>
            <option value="renewal-open">{t('status.renewal-open')}</option>
          </select>
        </label>
        <label>
          {t('program.filterFrom')}
          <input type="date" name="from" value={draft.from} onInput={field('from')} />
        </label>
        <label>
          {t('program.filterTo')}
          <input type="date" name="to" value={draft.to} onInput={field('to')} />
        </label>
        <div class="filter-actions">
          <button type="submit">{t('program.apply')}</button>
          <button type="button" class="secondary" data-testid="csv" onClick={() => void exportCsv(filters)}>
            {t('program.exportCsv')}
          </button>
        </div>
      </form>
      <Loadable state={expiring}>
        {(data) => (
          <>
            <div class="scroll" tabIndex={0} role="group" aria-labelledby="soonest-heading">
              <table data-testid="soonest">
                <Head
                  columns={[
                    t('program.profile'),
                    t('program.certification'),
                    t('program.expires'),
                    t('program.daysLeft'),
                    t('program.blockedBy'),
                  ]}
                />
                <tbody>
                  {data.items.map((item) => (
                    <tr key={`${item.profileId}.${item.code}`}>
                      <td>
                        <a href={`/dashboard?profile=${encodeURIComponent(item.profileId)}`}>{item.profileId}</a>
                      </td>
                      <td>{names.get(item.code) ?? item.name}</td>
                      <td>{date(item.expiresAt)}</td>
                      <td>{number(item.daysUntilExpiry)}</td>
                      <td data-testid="blocked-by">
                        {item.blockedBy.map((code) => t(`blocked.${code}`, { defaultValue: code })).join(', ') || '—'}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
            <Pager label={t('program.pages')} page={page} pages={pages} onPage={setPage} testId="page-of" />
          </>
        )}
      </Loadable>
    </Section>
  );
}

/** The admin console (approvals, find anyone, webhooks, import, replays, audit) comes in its own chunk (#27.1). */
function useConsole(): FunctionComponent<{ summary: Summary | null }> | null {
  const [component, setComponent] = useState<FunctionComponent<{ summary: Summary | null }> | null>(null);
  useEffect(() => {
    void import('./console').then((module) => setComponent(() => module.AdminConsole));
  }, []);
  return component;
}

export function ProgramPage() {
  const summary = useCard<Summary>('/reports/summary');
  const weeks = useCard<ExpiringByWeek>('/reports/expiring-by-week?weeks=26');
  const AdminConsole = useConsole();
  const rate = useCard<RenewalRate>('/reports/renewal-rate?months=12');
  return (
    <>
      <Section id="summary-heading" title={t('program.summaryTitle', { total: number(summary.data?.total ?? 0) })}>
        <Loadable state={summary}>
          {(data) => (
            <div class="scroll" tabIndex={0} role="group" aria-labelledby="summary-heading">
              <table data-testid="summary">
                <caption class="visually-hidden">{t('program.summaryCaption', { asOf: date(data.asOf) })}</caption>
                <thead>
                  <tr>
                    <th scope="col">{t('program.certification')}</th>
                    {STATUSES.map((s) => (
                      <th scope="col" key={s}>
                        {t(`status.${s}`)}
                      </th>
                    ))}
                    <th scope="col">{t('program.total')}</th>
                  </tr>
                </thead>
                <tbody>
                  {data.byCertification.map((c) => (
                    <tr key={c.code} data-code={c.code}>
                      <th scope="row">{localName(c)}</th>
                      {STATUSES.map((s) => (
                        <td key={s} data-status={s} data-count={c.byStatus[s] ?? 0}>
                          {number(c.byStatus[s] ?? 0)}
                        </td>
                      ))}
                      <td data-status="total" data-count={c.total}>
                        {number(c.total)}
                      </td>
                    </tr>
                  ))}
                </tbody>
                <tfoot>
                  <tr data-testid="summary-totals">
                    <th scope="row">{t('program.totalsRow')}</th>
                    {STATUSES.map((s) => (
                      <td key={s} data-status={s} data-count={data.byStatus[s] ?? 0}>
                        {number(data.byStatus[s] ?? 0)}
                      </td>
                    ))}
                    <td data-status="total" data-count={data.total}>
                      {number(data.total)}
                    </td>
                  </tr>
                </tfoot>
              </table>
            </div>
          )}
        </Loadable>
      </Section>
      <Section id="chart-heading" title={t('program.chartHeading')}>
        <Loadable state={weeks}>{(data) => <WeekChart weeks={data.weeks} />}</Loadable>
      </Section>
      <Section id="rate-heading" title={t('program.rateHeading')}>
        <Loadable state={rate}>{(data) => <RateChart months={data.months} asOf={data.asOf} />}</Loadable>
      </Section>
      <ExpiringCard summary={summary.data} />
      {AdminConsole ? (
        <AdminConsole summary={summary.data} />
      ) : (
        <p class="muted loading-line" aria-busy="true">
          {t('common.loading')}
        </p>
      )}
    </>
  );
}
