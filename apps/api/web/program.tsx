import { useEffect, useState } from 'preact/hooks';
import { ApiError, Expiring, ExpiringByWeek, get, ReplayJob, Summary } from './api';
import { date, Section, STATUS_LABELS, WeekChart } from './ui';

const STATUSES = ['active', 'renewal-open', 'expired', 'never-expires'];

export function ProgramPage() {
  const [summary, setSummary] = useState<Summary | null>(null);
  const [weeks, setWeeks] = useState<ExpiringByWeek | null>(null);
  const [expiring, setExpiring] = useState<Expiring | null>(null);
  const [replay, setReplay] = useState<ReplayJob | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    Promise.all([
      get<Summary>('/reports/summary'),
      get<ExpiringByWeek>('/reports/expiring-by-week?weeks=26'),
      get<Expiring>('/reports/expiring?withinDays=182&pageSize=20'),
    ])
      .then(([s, w, e]) => {
        setSummary(s);
        setWeeks(w);
        setExpiring(e);
      })
      .catch((e: unknown) =>
        setError(e instanceof ApiError ? `${e.problem.title}: ${e.problem.detail}` : 'The reports could not be loaded.'),
      );
    get<ReplayJob>('/admin/policy-replays/latest')
      .then(setReplay)
      .catch(() => setReplay(null));
  }, []);

  if (error) {
    return (
      <p role="alert" class="error">
        {error}
      </p>
    );
  }
  return (
    <>
      {summary && (
        <Section id="summary-heading" title={`Holdings by certification and status (${summary.total})`}>
          <div class="scroll">
            <table data-testid="summary">
              <caption class="visually-hidden">Holdings by certification and status, as of {date(summary.asOf)}</caption>
              <thead>
                <tr>
                  <th scope="col">Certification</th>
                  {STATUSES.map((s) => (
                    <th scope="col" key={s}>
                      {STATUS_LABELS[s]}
                    </th>
                  ))}
                  <th scope="col">Total</th>
                </tr>
              </thead>
              <tbody>
                {summary.byCertification.map((c) => (
                  <tr key={c.code} data-code={c.code}>
                    <th scope="row">{c.name}</th>
                    {STATUSES.map((s) => (
                      <td key={s} data-status={s}>
                        {c.byStatus[s] ?? 0}
                      </td>
                    ))}
                    <td data-status="total">{c.total}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Section>
      )}
      {weeks && (
        <Section id="chart-heading" title="Expiring in the next 26 weeks">
          <WeekChart weeks={weeks.weeks} />
        </Section>
      )}
      {expiring && (
        <Section id="soonest-heading" title={`Expiring soonest (${expiring.total} in the next 26 weeks)`}>
          <div class="scroll">
            <table data-testid="soonest">
              <thead>
                <tr>
                  <th scope="col">Profile</th>
                  <th scope="col">Certification</th>
                  <th scope="col">Expires</th>
                  <th scope="col">Days left</th>
                </tr>
              </thead>
              <tbody>
                {expiring.items.map((item) => (
                  <tr key={`${item.profileId}.${item.code}`}>
                    <td>{item.profileId}</td>
                    <td>{item.name}</td>
                    <td>{date(item.expiresAt)}</td>
                    <td>{item.daysUntilExpiry}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </Section>
      )}
      <Section id="replay-heading" title="Last what-if policy replay">
        {replay?.report ? (
          <div data-testid="replay">
            <p>
              Under policy {replay.report.candidatePolicyVersions.join(', ')} as of {date(replay.report.asOf)}:{' '}
              <strong>{replay.report.holdingsDiffering}</strong> of {replay.report.holdingsCompared} holdings would differ.
            </p>
            <ul>
              {Object.entries(replay.report.totals.byKind)
                .filter(([, n]) => n > 0)
                .map(([kind, n]) => (
                  <li key={kind}>
                    {kind}: {n}
                  </li>
                ))}
            </ul>
          </div>
        ) : (
          <p class="muted">No what-if replay has run yet.</p>
        )}
      </Section>
    </>
  );
}
