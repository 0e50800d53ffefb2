/**
 * The to-order report (GET /v1/stock/to-order): each location and product with a par level, what is
 * available there (shortfalls the point of use left count against it), what to order to bring it to
 * par, and the point of use's consumption over the last N days; products used with no par level are
 * listed apart, so nothing is silently missing. The same report as CSV.
 */
import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { filenameOf, saveBlob } from '../shared/download.js';
import { failureOf, type Failure } from '../shared/failure.js';
import { formatDate } from '../shared/format.js';
import { FailureAlert, Field, ViewHeading } from '../shared/ui.js';

interface Position {
  readonly location: { readonly gln: string; readonly name: string };
  readonly issuingAgency: string;
  readonly di: string;
  readonly brand: string | null;
  readonly available: number;
  readonly quarantined: number;
  readonly shortfall: number;
  readonly netConsumption: number;
  readonly averagePerDay: number;
}

interface ToOrderReport {
  readonly today: string;
  readonly from: string;
  readonly days: number;
  readonly items: ReadonlyArray<Position & { readonly par: number; readonly reorderAt: number | null; readonly toOrder: number; readonly atReorderPoint: boolean }>;
  readonly usedWithoutPar: readonly Position[];
}

const productOf = (p: Position) => `${p.issuingAgency === 'GS1' ? `GTIN ${p.di}` : `${p.issuingAgency} ${p.di}`}${p.brand ? ` (${p.brand})` : ''}`;

export function ToOrder({ api }: { api: Api }) {
  const [daysText, setDaysText] = useState('30');
  const [days, setDays] = useState(30);
  const [error, setError] = useState<string | null>(null);
  const [report, setReport] = useState<ToOrderReport | null>(null);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [saving, setSaving] = useState<string | null>(null);

  const load = async (n: number) => {
    setFailure(null);
    try {
      const answer = await api.request<ToOrderReport>(`/v1/stock/to-order?days=${n}`);
      if (answer.ok) setReport(answer.data);
      else setFailure({ kind: 'problem', problem: answer.problem });
    } catch (e) {
      setFailure(failureOf(e));
    }
  };
  useEffect(() => void load(days), [days]);

  const downloadCsv = async () => {
    setSaving('Preparing the CSV…');
    try {
      const answer = await api.request<Blob>(`/v1/stock/to-order?days=${days}&format=csv`, { as: 'blob', headers: { accept: 'text/csv' } });
      if (!answer.ok) return setSaving(answer.problem.detail);
      saveBlob(answer.data, filenameOf(answer.headers.get('content-disposition'), 'stock-to-order.csv'));
      setSaving(null);
    } catch (e) {
      setSaving(failureOf(e).kind === 'offline' ? 'The CSV could not be fetched: the service cannot be reached.' : 'The CSV could not be saved.');
    }
  };

  const ordering = report?.items.filter((i) => i.toOrder > 0).length ?? 0;

  return (
    <>
      <ViewHeading>To order</ViewHeading>
      <form
        class="card filters"
        aria-label="Consumption over"
        onSubmit={(e) => {
          e.preventDefault();
          const n = Number(daysText);
          if (!/^\d+$/.test(daysText.trim()) || n < 1 || n > 365) {
            setError('A whole number of days from 1 to 365.');
            document.getElementById('to-order-days')?.focus();
            return;
          }
          setError(null);
          setDays(n);
        }}
      >
        <Field id="to-order-days" label="Consumption over the last (days)" errors={error ? [error] : []}>
          {(a11y) => <input {...a11y} class="short" inputMode="numeric" value={daysText} onInput={(e) => setDaysText(e.currentTarget.value)} />}
        </Field>
        <button type="submit">Show</button>
        <button type="button" class="secondary" onClick={() => void downloadCsv()}>
          Download CSV
        </button>
      </form>
      {saving && <p role="status">{saving}</p>}
      {failure && <FailureAlert failure={failure} onRetry={() => void load(days)} />}
      {report === null ? (
        !failure && <p role="status">Loading the report…</p>
      ) : (
        <>
          <p class="showing" role="status">
            {report.items.length === 0
              ? 'No par level is set: set them with PUT /v1/stock/par-levels.'
              : `${ordering === 1 ? '1 product' : `${ordering} products`} to order of ${report.items.length} with a par level; consumption from ${formatDate(report.from)} to ${formatDate(report.today)}.`}
          </p>
          {report.items.length > 0 && (
            <div class="table-wrap">
              <table class="to-order">
                <caption>Par levels against what is available</caption>
                <thead>
                  <tr>
                    <th scope="col">Location</th>
                    <th scope="col">Product</th>
                    <th scope="col" class="num">Par</th>
                    <th scope="col" class="num">Available</th>
                    <th scope="col" class="num">Quarantined</th>
                    <th scope="col" class="num">Used ({report.days} days)</th>
                    <th scope="col" class="num">To order</th>
                  </tr>
                </thead>
                <tbody>
                  {report.items.map((i) => (
                    <tr key={`${i.location.gln} ${i.di}`}>
                      <td>{i.location.name}</td>
                      <td>{productOf(i)}</td>
                      <td class="num">{i.par}</td>
                      <td class="num">
                        {i.available}
                        {i.shortfall > 0 && <span class="hint small">{i.shortfall} used without being on hand</span>}
                      </td>
                      <td class="num">{i.quarantined}</td>
                      <td class="num">{i.netConsumption}</td>
                      <td class="num">
                        <strong>{i.toOrder}</strong>
                        {i.atReorderPoint && <span class="hint small">At the reorder point</span>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {report.usedWithoutPar.length > 0 && (
            <>
              <h2>Used with no par level</h2>
              <ul class="used-without-par">
                {report.usedWithoutPar.map((p) => (
                  <li key={`${p.location.gln} ${p.di}`}>
                    {productOf(p)} at {p.location.name}: {p.netConsumption} used, {p.available} available
                  </li>
                ))}
              </ul>
            </>
          )}
        </>
      )}
    </>
  );
}
