import { useCallback, useEffect, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { failureOf, issuesOf, type Failure } from '../shared/failure.js';
import { chartMonths, monthName, monthsBack, nextMonth, scaleOf, SERIES, type ChartMonth } from './safety-chart.js';
import type { SafetyMonth, SafetyReport, SafetyRule } from './types.js';
import { FailureAlert, ViewHeading } from '../shared/ui.js';
import { plural } from './ui.js';

type State =
  | { readonly kind: 'loading' }
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'failed'; readonly failure: Failure }
  | { readonly kind: 'shown'; readonly report: SafetyReport };

/** This month in London (YYYY-MM): the report's months are London's. */
const thisMonth = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London', year: 'numeric', month: '2-digit' }).format(new Date());
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const percent = (share: number | null) => (share === null ? '–' : `${(share * 100).toFixed(1)}%`);

/** The chart: per month, three bars in the legend's order. The same figures are in the table below it. */
function Chart({ data, caption }: { data: readonly ChartMonth[]; caption: string }) {
  const W = 760;
  const H = 300;
  const left = 48;
  const right = 8;
  const top = 12;
  const bottom = 40;
  const plotW = W - left - right;
  const plotH = H - top - bottom;
  const { top: max, ticks } = scaleOf(Math.max(0, ...data.flatMap((d) => [d.found, d.prevented, d.overridden])));
  const y = (v: number) => top + plotH - (v / max) * plotH;
  const groupW = plotW / Math.max(1, data.length);
  const barW = Math.min(22, (groupW * 0.8) / SERIES.length);
  const every = Math.ceil(data.length / 12);
  const summary = data
    .filter((d) => d.found + d.prevented + d.overridden > 0)
    .map((d) => `${monthName(d.month)}: ${d.found} found, ${d.prevented} prevented, ${d.overridden} overridden`)
    .join('; ');
  return (
    <svg class="safety-chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-labelledby="safety-chart-title safety-chart-desc">
      <title id="safety-chart-title">{caption}</title>
      <desc id="safety-chart-desc">{summary === '' ? 'Nothing critical was found in these months.' : `${summary}. The figures are in the table below.`}</desc>
      <defs>
        <pattern id="safety-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
          <rect width="6" height="6" class="series-overridden-base" />
          <line x1="0" y1="0" x2="0" y2="6" class="hatch-line" />
        </pattern>
      </defs>
      {ticks.map((tick) => (
        <g key={`tick-${tick}`}>
          <line class="grid" x1={left} x2={W - right} y1={y(tick)} y2={y(tick)} />
          <text class="tick" x={left - 6} y={y(tick) + 4}>
            {tick}
          </text>
        </g>
      ))}
      {data.map((d, i) => {
        const x0 = left + i * groupW + (groupW - barW * SERIES.length) / 2;
        return (
          <g key={d.month}>
            {SERIES.map((s, k) => (
              <rect key={s.key} class={s.className} x={x0 + k * barW} y={y(d[s.key])} width={Math.max(1, barW - 2)} height={top + plotH - y(d[s.key])} />
            ))}
            {i % every === 0 && (
              <text class="month" x={left + i * groupW + groupW / 2} y={H - bottom + 18}>
                {monthName(d.month).replace(/ (\d\d)(\d\d)$/, ' ’$2')}
              </text>
            )}
          </g>
        );
      })}
      <line class="axis" x1={left} x2={W - right} y1={top + plotH} y2={top + plotH} />
    </svg>
  );
}

/** Every rule over the period: the months' rows added up. */
function rulesOver(months: readonly SafetyMonth[]): SafetyRule[] {
  const byKey = new Map<string, SafetyRule>();
  for (const m of months) {
    for (const r of m.rules) {
      const key = `${r.rule}\u0000${r.code}`;
      const was = byKey.get(key);
      byKey.set(
        key,
        was
          ? {
              rule: r.rule,
              code: r.code,
              scans: { critical: was.scans.critical + r.scans.critical, warning: was.scans.warning + r.scans.warning, info: was.scans.info + r.scans.info },
              checks: { critical: was.checks.critical + r.checks.critical, warning: was.checks.warning + r.checks.warning, info: was.checks.info + r.checks.info },
              decisions: { notUsed: was.decisions.notUsed + r.decisions.notUsed, overridden: was.decisions.overridden + r.decisions.overridden, pending: was.decisions.pending + r.decisions.pending },
              criticalChecks: {
                notOpened: was.criticalChecks.notOpened + r.criticalChecks.notOpened,
                followedByImplantScan: was.criticalChecks.followedByImplantScan + r.criticalChecks.followedByImplantScan,
              },
            }
          : r,
      );
    }
  }
  const critical = (r: SafetyRule) => r.scans.critical + r.checks.critical;
  return [...byKey.values()].sort((a, b) => critical(b) - critical(a) || a.rule.localeCompare(b.rule) || a.code.localeCompare(b.code));
}

/**
 * The safety report: per month, the critical findings raised at scan time and
 * before opening, the errors prevented (items put aside, boxes not opened),
 * the overrides, and how much was scanned rather than typed; per rule over the
 * period; the CSV. The evidence a board and the Scan4Safety programme ask for.
 */
export function Safety({ api }: { api: Api }) {
  const [first, setFirst] = useState(() => monthsBack(thisMonth(), 11));
  const [last, setLast] = useState(thisMonth);
  const [organisation, setOrganisation] = useState('');
  const [state, setState] = useState<State>({ kind: 'loading' });
  const [message, setMessage] = useState<{ text: string; error: boolean } | null>(null);

  const query = (format?: 'csv') => new URLSearchParams({ from: first, to: MONTH.test(last) ? nextMonth(last) : last, ...(format ? { format } : {}) }).toString();

  const load = useCallback(async () => {
    if (!MONTH.test(first) || !MONTH.test(last)) {
      setState({ kind: 'invalid', message: 'Choose the first and the last month.' });
      return;
    }
    setState({ kind: 'loading' });
    setMessage(null);
    try {
      const answer = await api.request<SafetyReport>(`/v1/reports/safety?${query()}`);
      if (answer.ok) setState({ kind: 'shown', report: answer.data });
      else {
        const issue = issuesOf(answer.problem).find((e) => e.pointer === '/to' || e.pointer === '/from');
        setState(issue ? { kind: 'invalid', message: issue.message === 'From must be before to' ? 'The last month must not be before the first.' : issue.message } : { kind: 'failed', failure: { kind: 'problem', problem: answer.problem } });
      }
    } catch (e) {
      setState({ kind: 'failed', failure: failureOf(e) });
    }
  }, [api, first, last]);

  // The default period, once; later, what the form says when it is sent.
  useEffect(() => void load(), []);

  const downloadCsv = async () => {
    setMessage(null);
    try {
      const answer = await api.request<Blob>(`/v1/reports/safety?${query('csv')}`, { as: 'blob', headers: { accept: 'text/csv' } });
      if (!answer.ok) {
        setMessage({ text: answer.problem.detail, error: true });
        return;
      }
      const name = /filename="?([^";]+)"?/i.exec(answer.headers.get('content-disposition') ?? '')?.[1] ?? 'safety-report.csv';
      const url = URL.createObjectURL(answer.data);
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      link.hidden = true;
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
      setMessage({ text: `Saved ${name}.`, error: false });
    } catch (e) {
      setMessage({ text: failureOf(e).kind === 'offline' ? 'The CSV could not be fetched: the service cannot be reached.' : 'The CSV could not be saved.', error: true });
    }
  };

  const report = state.kind === 'shown' ? state.report : null;
  const several = report !== null && report.byOrganisation.length > 1;
  const months = report === null ? [] : (report.byOrganisation.find((o) => o.organisation === organisation)?.months ?? report.months);
  const who = report === null ? '' : several ? (organisation === '' ? `all ${report.byOrganisation.length} organisations` : organisation) : (report.byOrganisation[0]?.organisation ?? '');
  const period = months.length === 0 ? '' : `${monthName(months[0]?.month ?? '')} to ${monthName(months.at(-1)?.month ?? '')}`;
  const rules = rulesOver(months);
  const invalid = state.kind === 'invalid';

  return (
    <main id="main" class="recalls safety">
      <ViewHeading>Safety report</ViewHeading>
      <p class="hint">
        What the checks at the point of use found, what they prevented and what was overridden, month by month (London time); and how much was scanned rather than typed.
      </p>
      <form
        class="card filters"
        novalidate
        onSubmit={(e) => {
          e.preventDefault();
          void load();
        }}
      >
        <div>
          <label for="safety-from">First month</label>
          <input id="safety-from" type="month" value={first} onInput={(e) => setFirst(e.currentTarget.value)} aria-invalid={invalid ? true : undefined} aria-describedby={invalid ? 'safety-error' : undefined} />
        </div>
        <div>
          <label for="safety-to">Last month</label>
          <input id="safety-to" type="month" value={last} onInput={(e) => setLast(e.currentTarget.value)} aria-invalid={invalid ? true : undefined} aria-describedby={invalid ? 'safety-error' : undefined} />
        </div>
        {several && (
          <div>
            <label for="safety-organisation">Organisation</label>
            <select id="safety-organisation" value={organisation} onChange={(e) => setOrganisation(e.currentTarget.value)}>
              <option value="">All organisations</option>
              {report.byOrganisation.map((o) => (
                <option key={o.organisation} value={o.organisation}>
                  {o.organisation}
                </option>
              ))}
            </select>
          </div>
        )}
        <button type="submit" disabled={state.kind === 'loading'}>
          Show report
        </button>
        {invalid && (
          <p class="error field-error" id="safety-error" role="alert">
            {state.message}
          </p>
        )}
      </form>
      {state.kind === 'loading' && <p role="status">Loading the safety report…</p>}
      {state.kind === 'failed' && <FailureAlert failure={state.failure} onRetry={() => void load()} />}
      {report !== null && (
        <>
          <section class="card plot" aria-labelledby="safety-chart-heading">
            <div class="view-head">
              <h2 id="safety-chart-heading">
                {period}: {who}
              </h2>
              <button type="button" class="secondary" onClick={() => void downloadCsv()}>
                Download CSV
              </button>
            </div>
            <p class="message-region" role="status">
              {message && <span class={message.error ? 'error' : 'notice'}>{message.text}</span>}
            </p>
            <ul class="legend" aria-hidden="true">
              {SERIES.map((s) => (
                <li key={s.key}>
                  <svg width="16" height="16" viewBox="0 0 16 16">
                    <rect width="16" height="16" class={s.className} />
                  </svg>
                  {s.label}
                </li>
              ))}
            </ul>
            <Chart data={chartMonths(months)} caption={`Critical findings, errors prevented and overrides per month, ${period}, ${who}`} />
            <p class="hint">
              Prevented: an item put aside after a critical warning at its scan, or a box not scanned as implanted after a check before opening found something critical.
              Overridden: implanted anyway, with a reason.
            </p>
          </section>
          <section class="card" aria-labelledby="safety-months-heading">
            <h2 id="safety-months-heading">Month by month</h2>
            {/* Focusable, so that a table wider than the screen scrolls from the keyboard too. */}
            <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="safety-months-heading">
              <table class="safety-months">
                <thead>
                  <tr>
                    <th scope="col">Month</th>
                    <th scope="col" class="num">Critical at scan</th>
                    <th scope="col" class="num">Critical at check</th>
                    <th scope="col" class="num">Put aside</th>
                    <th scope="col" class="num">Not opened</th>
                    <th scope="col" class="num">Overridden</th>
                    <th scope="col" class="num">Pending</th>
                    <th scope="col" class="num">Items</th>
                    <th scope="col" class="num">Scanned</th>
                  </tr>
                </thead>
                <tbody>
                  {months.map((m) => (
                    <tr key={m.month}>
                      <th scope="row">{monthName(m.month)}</th>
                      <td class="num">{m.totals.scans.critical}</td>
                      <td class="num">{m.totals.checks.critical}</td>
                      <td class="num">{m.totals.decisions.notUsed}</td>
                      <td class="num">{m.totals.criticalChecks.notOpened}</td>
                      <td class="num">{m.totals.decisions.overridden}</td>
                      <td class="num">{m.totals.decisions.pending}</td>
                      <td class="num">{m.scanning.items}</td>
                      <td class="num">{percent(m.scanning.barcodeShare)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </section>
          <section class="card" aria-labelledby="safety-rules-heading">
            <h2 id="safety-rules-heading">By rule, over the period</h2>
            {rules.length === 0 ? (
              <p>No finding was raised in these months.</p>
            ) : (
              <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="safety-rules-heading">
                <table class="safety-rules">
                  <caption>{plural(rules.length, 'rule')} raised something, most critical findings first</caption>
                  <thead>
                    <tr>
                      <th scope="col">Rule</th>
                      <th scope="col">Finding</th>
                      <th scope="col" class="num">Critical at scan</th>
                      <th scope="col" class="num">Warnings at scan</th>
                      <th scope="col" class="num">Critical at check</th>
                      <th scope="col" class="num">Put aside</th>
                      <th scope="col" class="num">Not opened</th>
                      <th scope="col" class="num">Overridden</th>
                      <th scope="col" class="num">Pending</th>
                    </tr>
                  </thead>
                  <tbody>
                    {rules.map((r) => (
                      <tr key={`${r.rule} ${r.code}`}>
                        <th scope="row">
                          <code>{r.rule}</code>
                        </th>
                        <td>{r.code === r.rule ? '' : r.code}</td>
                        <td class="num">{r.scans.critical}</td>
                        <td class="num">{r.scans.warning}</td>
                        <td class="num">{r.checks.critical}</td>
                        <td class="num">{r.decisions.notUsed}</td>
                        <td class="num">{r.criticalChecks.notOpened}</td>
                        <td class="num">{r.decisions.overridden}</td>
                        <td class="num">{r.decisions.pending}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        </>
      )}
    </main>
  );
}
