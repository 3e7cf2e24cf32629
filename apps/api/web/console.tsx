/**
 * The admin console of the program page (#27.1, #27.2): what an admin must act on, each action through the API and
 * its rules. Loaded on the program page only (its own chunk), so the holder page does not carry it.
 */
import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import {
  ApiError,
  claims,
  download,
  get,
  ImportReport,
  OverrideRequest,
  PagedReplayJob,
  post,
  Roster,
  Summary,
  WebhookDelivery,
  WebhookEndpoint,
} from './api';
import { date, dateTime, localName, number, t } from './i18n';
import { Badge, CertificationSelect, Head, Pager, Section } from './ui';

const STATUSES = ['active', 'renewal-open', 'expired', 'never-expires', 'revoked', 'suspended'];
const SORTS = ['expires', '-expires', 'profile', 'certification', 'status'];
const PAGE_SIZE = 25;

function problemText(e: unknown): string {
  return e instanceof ApiError ? `${e.problem.title}: ${e.problem.detail}` : t('program.loadFailed');
}

/** A card's data reloaded whenever `key` changes (its query or a refresh after an action). */
function useLoad<T>(path: string | null, key: number): { data: T | null; error: string | null } {
  const [state, setState] = useState<{ data: T | null; error: string | null; at: string | null }>({ data: null, error: null, at: null });
  useEffect(() => {
    if (path === null) return undefined;
    let current = true;
    get<T>(path)
      .then((data) => current && setState({ data, error: null, at: `${path}#${key}` }))
      .catch((e: unknown) => current && setState({ data: null, error: problemText(e), at: `${path}#${key}` }));
    return () => {
      current = false;
    };
  }, [path, key]);
  return state;
}

/** The outcome of the last action of a card, read out politely. */
function Outcome({ outcome }: { outcome: { ok: boolean; text: string } | null }) {
  if (!outcome) return null;
  return (
    <p role={outcome.ok ? 'status' : 'alert'} class={outcome.ok ? 'notice' : 'error'} data-testid="outcome">
      {outcome.text}
    </p>
  );
}

/** Is this actor the visitor? Actors are recorded as the token's subject (or issuer and subject with OIDC). */
function isMe(actor: string): boolean {
  const sub = claims()?.sub;
  return sub !== undefined && (actor === sub || actor.endsWith(` ${sub}`) || actor.endsWith(`|${sub}`) || actor.endsWith(`#${sub}`));
}

function targetText(request: OverrideRequest): string {
  const target = request.target;
  if (target.filter)
    return t('console.targetFilter', { ...target.filter, from: date(target.filter.expiresFrom), to: date(target.filter.expiresTo) });
  return `${target.profileId ?? ''} · ${target.certificationCode ?? ''}`;
}

/** #27.1 approvals inbox: pending override requests first; the requester cannot approve their own (four eyes, R22). */
export function ApprovalsCard({ summary }: { summary: Summary | null }) {
  const [refresh, setRefresh] = useState(0);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const list = useLoad<{ overrideRequests: OverrideRequest[] }>('/admin/override-requests', refresh);
  const [draft, setDraft] = useState({ kind: 'extend-expiry', profileId: '', code: '', by: 'P3M', attempts: '1', reason: '' });
  const [rejecting, setRejecting] = useState<string | null>(null);
  const [rejectReason, setRejectReason] = useState('');
  const act = async (action: () => Promise<unknown>, done: string): Promise<void> => {
    try {
      await action();
      setOutcome({ ok: true, text: done });
    } catch (e) {
      setOutcome({ ok: false, text: problemText(e) });
    }
    setRefresh((n) => n + 1);
  };
  const requests = list.data?.overrideRequests ?? [];
  const pending = requests.filter((r) => r.status === 'pending');
  const decided = requests
    .filter((r) => r.status !== 'pending')
    .slice(-10)
    .reverse();
  const field = (key: keyof typeof draft) => (e: Event) => setDraft({ ...draft, [key]: (e.target as HTMLInputElement).value });
  return (
    <Section id="approvals-heading" title={t('console.approvalsTitle', { pending: number(pending.length) })}>
      <p class="muted">{t('console.fourEyes')}</p>
      <Outcome outcome={outcome} />
      {list.error && (
        <p role="alert" class="error">
          {list.error}
        </p>
      )}
      {pending.length === 0 && list.data && <p data-testid="no-pending">{t('console.noPending')}</p>}
      <ul class="inbox" data-testid="approvals">
        {pending.map((r) => {
          const mine = isMe(r.requestedBy);
          return (
            <li key={r.id} data-id={r.id} data-testid="pending-request">
              <p>
                <strong>{t(`console.kind.${r.kind}`, { defaultValue: r.kind })}</strong> · {targetText(r)}
                {r.params.by ? ` · ${r.params.by}` : ''}
                {r.params.attempts ? ` · ${number(r.params.attempts)}` : ''}
              </p>
              <p>
                {t('console.requestedBy', {
                  who: r.requestedBy,
                  when: dateTime(r.requestedAt),
                  expires: dateTime(r.expiresAt),
                  reason: r.reason,
                })}
              </p>
              {mine ? (
                <p class="notice" data-testid="own-request">
                  {t('console.ownRequest')}
                </p>
              ) : rejecting === r.id ? (
                <form
                  class="inline-form"
                  onSubmit={(e) => {
                    e.preventDefault();
                    setRejecting(null);
                    void act(
                      () => post(`/admin/override-requests/${r.id}/reject`, { reason: rejectReason || undefined }),
                      t('console.rejected'),
                    );
                  }}
                >
                  <label>
                    {t('console.rejectReason')}
                    <input value={rejectReason} onInput={(e) => setRejectReason((e.target as HTMLInputElement).value)} maxLength={500} />
                  </label>
                  <button type="submit" class="danger">
                    {t('console.reject')}
                  </button>
                  <button type="button" class="secondary" onClick={() => setRejecting(null)}>
                    {t('console.cancel')}
                  </button>
                </form>
              ) : (
                <div class="actions">
                  <button
                    type="button"
                    data-testid="approve"
                    onClick={() => void act(() => post(`/admin/override-requests/${r.id}/approve`, {}), t('console.approved'))}
                  >
                    {t('console.approve')}
                  </button>
                  <button type="button" class="secondary" onClick={() => setRejecting(r.id)}>
                    {t('console.reject')}
                  </button>
                </div>
              )}
            </li>
          );
        })}
      </ul>
      {decided.length > 0 && (
        <details>
          <summary>{t('console.decided')}</summary>
          <ul data-testid="decided">
            {decided.map((r) => (
              <li key={r.id} data-id={r.id} data-status={r.status}>
                {t(`console.kind.${r.kind}`, { defaultValue: r.kind })} · {targetText(r)} ·{' '}
                {t(`console.requestStatus.${r.status}`, { defaultValue: r.status })}
                {r.decidedBy ? ` · ${r.decidedBy}` : ''}
              </li>
            ))}
          </ul>
        </details>
      )}
      <details>
        <summary>{t('console.newRequest')}</summary>
        <form
          class="filters"
          data-testid="request-override"
          onSubmit={(e) => {
            e.preventDefault();
            const params =
              draft.kind === 'grant-attempts' ? { attempts: Number(draft.attempts) } : draft.kind === 'revoke' ? {} : { by: draft.by };
            void act(
              () =>
                post('/admin/override-requests', {
                  kind: draft.kind,
                  target: { profileId: draft.profileId.trim(), certificationCode: draft.code },
                  params,
                  reason: draft.reason,
                }),
              t('console.requested'),
            );
          }}
        >
          <label>
            {t('console.kindLabel')}
            <select name="kind" value={draft.kind} onChange={field('kind')}>
              {['extend-expiry', 'reopen-window', 'grant-attempts', 'revoke'].map((k) => (
                <option key={k} value={k}>
                  {t(`console.kind.${k}`)}
                </option>
              ))}
            </select>
          </label>
          <label>
            {t('program.profile')}
            <input name="profileId" value={draft.profileId} onInput={field('profileId')} required maxLength={128} />
          </label>
          <CertificationSelect
            label={t('program.certification')}
            certifications={summary?.byCertification}
            value={draft.code}
            onChange={field('code')}
            empty={'—'}
            required
          />
          {draft.kind === 'grant-attempts' ? (
            <label>
              {t('console.attempts')}
              <input name="attempts" type="number" min={1} max={5} value={draft.attempts} onInput={field('attempts')} />
            </label>
          ) : draft.kind === 'revoke' ? null : (
            <label>
              {t('console.by')}
              <input name="by" value={draft.by} onInput={field('by')} pattern="P.+" />
            </label>
          )}
          <label>
            {t('console.reason')}
            <input name="reason" value={draft.reason} onInput={field('reason')} required maxLength={500} />
          </label>
          <div class="filter-actions">
            <button type="submit">{t('console.request')}</button>
          </div>
        </form>
      </details>
    </Section>
  );
}

type Standing = 'revocation' | 'suspension' | 'reinstatement';

/** Revoke, suspend or reinstate one holding, with the reason the API requires (and a suspension's end, optional). */
function StandingForm({ item, onDone }: { item: Roster['items'][number]; onDone: (text: string, ok: boolean) => void }) {
  const [action, setAction] = useState<Standing>(item.status === 'suspended' ? 'reinstatement' : 'revocation');
  const [reason, setReason] = useState('');
  const [until, setUntil] = useState('');
  const choices: Standing[] =
    item.status === 'revoked' ? [] : item.status === 'suspended' ? ['reinstatement', 'revocation'] : ['revocation', 'suspension'];
  if (choices.length === 0) return <p class="muted">{t('console.revokedForGood')}</p>;
  return (
    <form
      class="inline-form"
      data-testid="standing-form"
      onSubmit={(e) => {
        e.preventDefault();
        const body = action === 'suspension' && until ? { reason, until: `${until}T00:00:00Z` } : { reason };
        post(
          `/certification-profiles/${encodeURIComponent(item.profileId)}/certifications/${encodeURIComponent(item.code)}/${action}`,
          body,
        )
          .then(() => onDone(t(`console.done.${action}`, { profile: item.profileId }), true))
          .catch((error: unknown) => onDone(problemText(error), false));
      }}
    >
      <label>
        {t('console.action')}
        <select name="action" value={action} onChange={(e) => setAction((e.target as HTMLSelectElement).value as Standing)}>
          {choices.map((c) => (
            <option key={c} value={c}>
              {t(`console.standing.${c}`)}
            </option>
          ))}
        </select>
      </label>
      <label>
        {t('console.reason')}
        <input name="reason" value={reason} onInput={(e) => setReason((e.target as HTMLInputElement).value)} required maxLength={500} />
      </label>
      {action === 'suspension' && (
        <label>
          {t('console.until')}
          <input type="date" name="until" value={until} onInput={(e) => setUntil((e.target as HTMLInputElement).value)} />
        </label>
      )}
      <button type="submit" class={action === 'reinstatement' ? '' : 'danger'}>
        {t(`console.standing.${action}`)}
      </button>
    </form>
  );
}

function rosterPath(filter: { q: string; status: string; certification: string; sort: string }, page: number): string {
  const query = new URLSearchParams({ page: String(page), pageSize: String(PAGE_SIZE), sort: filter.sort });
  if (filter.q.trim()) query.set('q', filter.q.trim());
  if (filter.status) query.set('status', filter.status);
  if (filter.certification) query.set('certification', filter.certification);
  return `/reports/roster?${query.toString()}`;
}

/** #27.2 find anyone: search by name, e-mail or profile id, any status, sorted, a page to jump to; actions per row. */
export function RosterCard({ summary }: { summary: Summary | null }) {
  const [filter, setFilter] = useState({ q: '', status: '', certification: '', sort: 'expires' });
  const [draft, setDraft] = useState(filter);
  const [page, setPage] = useState(1);
  const [jump, setJump] = useState('');
  const [refresh, setRefresh] = useState(0);
  const [open, setOpen] = useState<string | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const roster = useLoad<Roster>(rosterPath(filter, page), refresh);
  const pages = roster.data ? Math.max(1, Math.ceil(roster.data.total / PAGE_SIZE)) : 1;
  const names = new Map((summary?.byCertification ?? []).map((c) => [c.code, localName(c)]));
  const field = (key: keyof typeof draft) => (e: Event) => setDraft({ ...draft, [key]: (e.target as HTMLInputElement).value });
  const csvQuery = new URLSearchParams();
  if (filter.q.trim()) csvQuery.set('q', filter.q.trim());
  if (filter.status) csvQuery.set('status', filter.status);
  if (filter.certification) csvQuery.set('certification', filter.certification);
  return (
    <Section id="roster-heading" title={t('console.rosterTitle', { total: number(roster.data?.total ?? 0) })}>
      <form
        class="filters"
        data-testid="roster-filters"
        role="search"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter(draft);
          setPage(1);
        }}
      >
        <label class="wide">
          {t('console.search')}
          <input type="search" name="q" value={draft.q} onInput={field('q')} maxLength={200} placeholder={t('console.searchHint')} />
        </label>
        <label>
          {t('program.filterStatus')}
          <select name="status" value={draft.status} onChange={field('status')}>
            <option value="">{t('program.all')}</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {t(`status.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <CertificationSelect
          label={t('program.filterCertification')}
          certifications={summary?.byCertification}
          value={draft.certification}
          onChange={field('certification')}
          empty={t('program.all')}
        />
        <label>
          {t('console.sort')}
          <select name="sort" value={draft.sort} onChange={field('sort')}>
            {SORTS.map((s) => (
              <option key={s} value={s}>
                {t(`console.sortBy.${s}`)}
              </option>
            ))}
          </select>
        </label>
        <div class="filter-actions">
          <button type="submit">{t('console.find')}</button>
          <button
            type="button"
            class="secondary"
            data-testid="roster-csv"
            onClick={() =>
              void download(`/reports/roster.csv?${csvQuery.toString()}`, 'recert-roster.csv').catch((e: unknown) =>
                setOutcome({ ok: false, text: problemText(e) }),
              )
            }
          >
            {t('console.exportRoster')}
          </button>
        </div>
      </form>
      <Outcome outcome={outcome} />
      {roster.error && (
        <p role="alert" class="error">
          {roster.error}
        </p>
      )}
      {roster.data && (
        <>
          <div class="scroll" tabIndex={0} role="group" aria-labelledby="roster-heading">
            <table data-testid="roster">
              <Head
                columns={[t('console.name'), t('program.certification'), t('console.status'), t('program.expires'), t('console.actions')]}
              />
              <tbody>
                {roster.data.items.map((item) => (
                  <Fragment key={item.holdingId}>
                    <tr data-holding={item.holdingId} data-profile={item.profileId}>
                      <td>
                        <span data-testid="holder-name">{item.displayName ?? t('console.erased')}</span>
                        <br />
                        <a class="muted" href={`/dashboard?profile=${encodeURIComponent(item.profileId)}`}>
                          {item.profileId}
                        </a>
                        {item.email && <span class="muted"> · {item.email}</span>}
                      </td>
                      <td>{names.get(item.code) ?? item.code}</td>
                      <td data-testid="row-status">
                        <Badge status={item.status} />
                        {item.suspendedUntil && (
                          <span class="muted">
                            {' '}
                            {t('console.until')} {date(item.suspendedUntil)}
                          </span>
                        )}
                      </td>
                      <td>{item.expiresAt ? date(item.expiresAt) : t('console.never')}</td>
                      <td>
                        {item.status !== 'revoked' && (
                          <button
                            type="button"
                            class="secondary"
                            data-testid="row-action"
                            aria-expanded={open === item.holdingId}
                            onClick={() => setOpen(open === item.holdingId ? null : item.holdingId)}
                          >
                            {t('console.change')}
                            <span class="visually-hidden"> {item.displayName ?? item.profileId}</span>
                          </button>
                        )}
                      </td>
                    </tr>
                    {open === item.holdingId && (
                      <tr>
                        <td colSpan={5}>
                          <StandingForm
                            item={item}
                            onDone={(text, ok) => {
                              setOutcome({ ok, text });
                              if (ok) setOpen(null);
                              setRefresh((n) => n + 1);
                            }}
                          />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                ))}
              </tbody>
            </table>
          </div>
          <Pager label={t('console.rosterPages')} page={page} pages={pages} onPage={setPage} testId="roster-page-of">
            <form
              class="jump"
              onSubmit={(e) => {
                e.preventDefault();
                const wanted = Math.min(pages, Math.max(1, Math.floor(Number(jump)) || 1));
                setPage(wanted);
              }}
            >
              <label>
                {t('console.jumpTo')}
                <input
                  type="number"
                  name="page"
                  min={1}
                  max={pages}
                  value={jump}
                  onInput={(e) => setJump((e.target as HTMLInputElement).value)}
                />
              </label>
              <button type="submit" class="secondary">
                {t('console.go')}
              </button>
            </form>
          </Pager>
        </>
      )}
    </Section>
  );
}

/** #27.1 import: the dry run's report first; the real run of exactly that file only after it. */
export function ImportCard() {
  const [content, setContent] = useState('');
  const [name, setName] = useState('');
  const [format, setFormat] = useState<'csv' | 'ndjson'>('csv');
  const [checked, setChecked] = useState<{ content: string; report: ImportReport } | null>(null);
  const [done, setDone] = useState<ImportReport | null>(null);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const run = async (dryRun: boolean): Promise<void> => {
    setBusy(true);
    try {
      const report = await post<ImportReport>('/admin/imports', { format, content, dryRun });
      if (dryRun) {
        setChecked({ content, report });
        setDone(null);
      } else {
        setDone(report);
        setChecked(null);
      }
      setOutcome(null);
    } catch (e) {
      setOutcome({ ok: false, text: problemText(e) });
    }
    setBusy(false);
  };
  const report = done ?? checked?.report ?? null;
  return (
    <Section id="import-heading" title={t('console.importTitle')}>
      <form
        class="filters"
        data-testid="import-form"
        onSubmit={(e) => {
          e.preventDefault();
          void run(true);
        }}
      >
        <label class="wide">
          {t('console.importFile')}
          <input
            type="file"
            name="file"
            accept=".csv,.ndjson,.jsonl,text/csv,application/x-ndjson"
            onChange={(e) => {
              const file = (e.target as HTMLInputElement).files?.[0];
              if (!file) return;
              setName(file.name);
              setFormat(/\.(nd)?jsonl?$/i.test(file.name) ? 'ndjson' : 'csv');
              void file.text().then((text) => {
                setContent(text);
                setChecked(null);
                setDone(null);
              });
            }}
          />
        </label>
        <label>
          {t('console.format')}
          <select name="format" value={format} onChange={(e) => setFormat((e.target as HTMLSelectElement).value as 'csv' | 'ndjson')}>
            <option value="csv">CSV</option>
            <option value="ndjson">NDJSON</option>
          </select>
        </label>
        <div class="filter-actions">
          <button type="submit" disabled={busy || content === ''} data-testid="dry-run">
            {t('console.dryRun')}
          </button>
          <button
            type="button"
            class="danger"
            data-testid="real-run"
            disabled={busy || checked === null || checked.content !== content}
            onClick={() => void run(false)}
          >
            {t('console.realRun')}
          </button>
        </div>
      </form>
      <p class="muted">{checked ? t('console.importChecked', { name }) : t('console.importFirst')}</p>
      <Outcome outcome={outcome} />
      {report && (
        <div data-testid={report.dryRun ? 'dry-run-report' : 'import-report'} role="status">
          <h3>{report.dryRun ? t('console.dryRunReport') : t('console.importReport')}</h3>
          <table>
            <tbody>
              <tr>
                <th scope="row">{t('console.rows')}</th>
                <td data-count="rows">{number(report.rows)}</td>
              </tr>
              {Object.entries(report.counts).map(([outcome, n]) => (
                <tr key={outcome}>
                  <th scope="row">{t(`console.outcome.${outcome}`, { defaultValue: outcome })}</th>
                  <td data-count={outcome}>{number(n)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {Object.keys(report.byCode).length > 0 && (
            <ul>
              {[...(report.samples['refused'] ?? []), ...(report.samples['invalid'] ?? [])].map((row) => (
                <li key={row.line}>
                  {t('console.importProblem', { line: number(row.line), code: row.code ?? '', detail: row.detail ?? '' })}
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </Section>
  );
}

function DeliveryLog({ endpoint }: { endpoint: WebhookEndpoint }) {
  const [refresh, setRefresh] = useState(0);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const log = useLoad<{ deliveries: WebhookDelivery[] }>(`/admin/webhooks/${endpoint.id}/deliveries?limit=20`, refresh);
  if (!log.data) return <p class="muted">{log.error ?? t('common.loading')}</p>;
  if (log.data.deliveries.length === 0) return <p class="muted">{t('console.noDeliveries')}</p>;
  return (
    <>
      <Outcome outcome={outcome} />
      <div class="scroll" tabIndex={0} role="group" aria-label={t('console.deliveryLog', { url: endpoint.url })}>
        <table data-testid="deliveries">
          <Head
            columns={[t('console.eventType'), t('console.status'), t('console.attempts'), t('console.lastResult'), t('console.actions')]}
          />
          <tbody>
            {log.data.deliveries.map((d) => (
              <tr key={d.id} data-state={d.state}>
                <td>{d.type}</td>
                <td>{t(`console.delivery.${d.state}`, { defaultValue: d.state })}</td>
                <td>{number(d.attempts)}</td>
                <td>{d.deliveredAt ? dateTime(d.deliveredAt) : (d.lastError ?? (d.lastStatus === null ? '—' : String(d.lastStatus)))}</td>
                <td>
                  <button
                    type="button"
                    class="secondary"
                    onClick={() =>
                      void post(`/admin/webhooks/${endpoint.id}/deliveries/${d.id}/redeliver`, {})
                        .then(() => setOutcome({ ok: true, text: t('console.redelivered') }))
                        .catch((e: unknown) => setOutcome({ ok: false, text: problemText(e) }))
                        .then(() => setRefresh((n) => n + 1))
                    }
                  >
                    {t('console.redeliver')}
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

/** #27.1 webhooks: each endpoint's state (a disabled one stands out, with why), re-enable, its delivery log. */
export function WebhooksCard() {
  const [refresh, setRefresh] = useState(0);
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [open, setOpen] = useState<string | null>(null);
  const list = useLoad<{ endpoints: WebhookEndpoint[] }>('/admin/webhooks', refresh);
  const endpoints = list.data?.endpoints ?? [];
  const disabled = endpoints.filter((e) => e.status === 'disabled').length;
  return (
    <Section id="webhooks-heading" title={t('console.webhooksTitle', { endpoints: number(endpoints.length), disabled: number(disabled) })}>
      <Outcome outcome={outcome} />
      {list.error && (
        <p role="alert" class="error">
          {list.error}
        </p>
      )}
      {list.data && endpoints.length === 0 && <p class="muted">{t('console.noWebhooks')}</p>}
      <ul class="inbox" data-testid="webhooks">
        {endpoints.map((endpoint) => (
          <li
            key={endpoint.id}
            data-id={endpoint.id}
            data-status={endpoint.status}
            class={endpoint.status === 'disabled' ? 'attention' : ''}
          >
            <p>
              <span class={`badge badge-${endpoint.status === 'disabled' ? 'revoked' : 'active'}`}>
                {t(`console.webhookStatus.${endpoint.status}`)}
              </span>{' '}
              <code>{endpoint.url}</code>
            </p>
            <p class="muted">{endpoint.events.join(', ')}</p>
            {endpoint.status === 'disabled' && (
              <p data-testid="disabled-reason">
                {t(`console.disabledReason.${endpoint.disabledReason ?? 'admin'}`, { defaultValue: endpoint.disabledReason ?? '' })}
                {endpoint.failingSince ? ` ${t('console.failingSince', { when: dateTime(endpoint.failingSince) })}` : ''}
              </p>
            )}
            <div class="actions">
              {endpoint.status === 'disabled' && (
                <button
                  type="button"
                  data-testid="re-enable"
                  onClick={() =>
                    void post(`/admin/webhooks/${endpoint.id}/enable`, {})
                      .then(() => setOutcome({ ok: true, text: t('console.reEnabled', { url: endpoint.url }) }))
                      .catch((e: unknown) => setOutcome({ ok: false, text: problemText(e) }))
                      .then(() => setRefresh((n) => n + 1))
                  }
                >
                  {t('console.reEnable')}
                </button>
              )}
              <button
                type="button"
                class="secondary"
                aria-expanded={open === endpoint.id}
                onClick={() => setOpen(open === endpoint.id ? null : endpoint.id)}
              >
                {t('console.showLog')}
              </button>
            </div>
            {open === endpoint.id && <DeliveryLog endpoint={endpoint} />}
          </li>
        ))}
      </ul>
    </Section>
  );
}

const REPLAY_PAGE = 20;

/** #27.1 the latest policy replay: its summary, then its differing holdings a page at a time (R100). */
export function ReplayCard() {
  const [page, setPage] = useState(1);
  const replay = useLoad<PagedReplayJob>(`/admin/policy-replays/latest?page=${page}&pageSize=${REPLAY_PAGE}`, 0);
  const report = replay.data?.report;
  const differences = replay.data?.differences;
  const pages = differences ? Math.max(1, Math.ceil(differences.total / REPLAY_PAGE)) : 1;
  return (
    <Section id="replay-heading" title={t('program.replayTitle')}>
      {replay.error || !report ? (
        <p class="muted">{replay.error ? t('program.noReplay') : t('common.loading')}</p>
      ) : (
        <div data-testid="replay">
          <p>
            {t('program.replaySummary', {
              policy: report.candidatePolicyVersions.join(', '),
              asOf: date(report.asOf),
              differing: number(report.holdingsDiffering),
              compared: number(report.holdingsCompared),
            })}
          </p>
          {report.holdings.length > 0 && (
            <>
              <div class="scroll" tabIndex={0} role="group" aria-labelledby="replay-heading">
                <table data-testid="replay-differences">
                  <Head columns={[t('program.profile'), t('program.certification'), t('console.changes')]} />
                  <tbody>
                    {report.holdings.map((d) => (
                      <tr key={d.holdingId}>
                        <td>{d.profileId}</td>
                        <td>{d.certificationCode}</td>
                        <td>{d.changes.map((c) => t(`console.changeKind.${c}`, { defaultValue: c })).join(', ')}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <Pager label={t('console.replayPages')} page={page} pages={pages} onPage={setPage} testId="replay-page-of" />
            </>
          )}
        </div>
      )}
    </Section>
  );
}

/** #27.1 the audit export: the whole log as hash-chained NDJSON, fetched with the visitor's token. */
export function AuditCard() {
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <Section id="audit-heading" title={t('console.auditTitle')}>
      <p class="muted">{t('console.auditHelp')}</p>
      {problem && (
        <p role="alert" class="error">
          {problem}
        </p>
      )}
      <a
        href="/audit/export"
        class="button secondary"
        data-testid="audit-export"
        download="recert-audit.ndjson"
        onClick={(e) => {
          // A plain link cannot carry the bearer token: fetch it with the token and hand the file to the browser.
          e.preventDefault();
          void download('/audit/export', 'recert-audit.ndjson').catch((error: unknown) => setProblem(problemText(error)));
        }}
      >
        {t('console.auditDownload')}
      </a>
    </Section>
  );
}

export function AdminConsole({ summary }: { summary: Summary | null }) {
  return (
    <>
      <ApprovalsCard summary={summary} />
      <RosterCard summary={summary} />
      <WebhooksCard />
      <ImportCard />
      <ReplayCard />
      <AuditCard />
    </>
  );
}
