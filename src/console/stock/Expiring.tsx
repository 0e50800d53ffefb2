/** The shelf-expiry report: what has expired (first, marked in words) and what expires within N days, by location. */
import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { failureOf, type Failure } from '../shared/failure.js';
import { formatDate } from '../shared/format.js';
import { FailureAlert, Field, ViewHeading } from '../shared/ui.js';
import { OnHandTable } from './OnHandTable.js';
import { useRowActions } from './RowAction.js';
import type { ExpiringReport } from './types.js';

export function Expiring({ api }: { api: Api }) {
  const [daysText, setDaysText] = useState('30');
  const [days, setDays] = useState(30);
  const [error, setError] = useState<string | null>(null);
  const [report, setReport] = useState<ExpiringReport | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);

  const load = async (n: number) => {
    setFailure(null);
    try {
      const answer = await api.request<ExpiringReport>(`/v1/stock/expiring?days=${n}`);
      if (answer.ok) setReport(answer.data);
      else setFailure({ kind: 'problem', problem: answer.problem });
    } catch (e) {
      setFailure(failureOf(e));
    }
  };

  useEffect(() => void load(days), [days]);
  const { actions, editor, message } = useRowActions(api, () => void load(days));

  const expired = report?.items.filter((r) => r.expiry === 'expired').length ?? 0;
  const expiring = (report?.items.length ?? 0) - expired;

  return (
    <>
      <ViewHeading>Expiring stock</ViewHeading>
      <form
        class="card filters"
        aria-label="Expiring within"
        onSubmit={(e) => {
          e.preventDefault();
          const n = Number(daysText);
          if (!/^\d+$/.test(daysText.trim()) || n < 1 || n > 365) {
            setError('A whole number of days from 1 to 365.');
            document.getElementById('days')?.focus();
            return;
          }
          setError(null);
          setDays(n);
        }}
      >
        <Field id="days" label="Expiring within (days)" errors={error ? [error] : []}>
          {(a11y) => <input {...a11y} class="short" inputMode="numeric" value={daysText} onInput={(e) => setDaysText(e.currentTarget.value)} />}
        </Field>
        <button type="submit">Show</button>
      </form>
      {message}
      {failure && <FailureAlert failure={failure} onRetry={() => void load(days)} />}
      {report === null ? (
        !failure && <p role="status">Loading the report…</p>
      ) : (
        <>
          <p class="showing" role="status">
            Today {formatDate(report.today)}: {expired === 1 ? '1 row has' : `${expired} rows have`} expired, {expiring === 1 ? '1 row expires' : `${expiring} rows expire`} by {formatDate(report.through)}.
          </p>
          {report.items.length > 0 && <OnHandTable rows={report.items} caption={`Expired, then expiring by ${formatDate(report.through)}`} actions={actions} editor={editor} />}
        </>
      )}
    </>
  );
}
