import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { formatDate } from '../shared/format.js';
import { failureOf, issuesOf, type Failure } from '../shared/failure.js';
import type { SurvivalReport } from './types.js';
import { FailureAlert, ViewHeading } from '../shared/ui.js';
import { plural } from './ui.js';

type State =
  | { readonly kind: 'idle' }
  | { readonly kind: 'loading' }
  | { readonly kind: 'invalid'; readonly message: string }
  | { readonly kind: 'failed'; readonly failure: Failure }
  | { readonly kind: 'shown'; readonly gtin: string; readonly url: string | null; readonly report: SurvivalReport };

const percent = (n: number) => `${n.toFixed(1)}%`;

/** Implant survival of one product: the service's SVG plot, and the same figures as a table for everyone who cannot see it. */
export function Survival({ api }: { api: Api }) {
  const [gtin, setGtin] = useState('');
  const [state, setState] = useState<State>({ kind: 'idle' });
  const url = useRef<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  const replaceUrl = (next: string | null) => {
    if (url.current) URL.revokeObjectURL(url.current);
    url.current = next;
  };
  useEffect(() => () => replaceUrl(null), []);

  const show = async (event: Event) => {
    event.preventDefault();
    const wanted = gtin.replace(/\s/g, '');
    if (wanted === '') {
      setState({ kind: 'invalid', message: 'Enter a GTIN.' });
      input.current?.focus();
      return;
    }
    setState({ kind: 'loading' });
    try {
      const q = new URLSearchParams({ gtin: wanted }).toString();
      const [json, svg] = await Promise.all([api.request<SurvivalReport>(`/v1/outcomes/survival?${q}`), api.request<Blob>(`/v1/outcomes/survival.svg?${q}`, { as: 'blob', headers: { accept: 'image/svg+xml' } })]);
      if (!json.ok) {
        const issue = issuesOf(json.problem).find((e) => e.pointer.startsWith('/gtin'));
        // One GTIN or several: the service's message for a union says only "Invalid input".
        const message = issue && /^Invalid input\.?$/i.test(issue.message) ? 'This is not a valid GTIN: 8, 12, 13 or 14 digits, the last a check digit. Check the digits.' : issue?.message;
        setState(message ? { kind: 'invalid', message } : { kind: 'failed', failure: { kind: 'problem', problem: json.problem } });
        if (issue) input.current?.focus();
        return;
      }
      if (!svg.ok) {
        setState({ kind: 'failed', failure: { kind: 'problem', problem: svg.problem } });
        return;
      }
      const next = json.data.groups.length > 0 ? URL.createObjectURL(svg.data) : null;
      replaceUrl(next);
      setState({ kind: 'shown', gtin: wanted, url: next, report: json.data });
    } catch (e) {
      setState({ kind: 'failed', failure: failureOf(e) });
    }
  };

  const invalid = state.kind === 'invalid';
  return (
    <main id="main" class="recalls survival">
      <ViewHeading>Implant survival</ViewHeading>
      <p class="hint">Kaplan–Meier cumulative revision of one product, with 95% confidence intervals and the numbers at risk.</p>
      <form class="card" onSubmit={(e) => void show(e)} novalidate>
        <label for="survival-gtin">GTIN of the product</label>
        <p class="hint" id="survival-gtin-hint">
          8, 12, 13 or 14 digits.
        </p>
        <div class="inline-form">
          <input
            id="survival-gtin"
            ref={input}
            inputMode="numeric"
            autocomplete="off"
            spellcheck={false}
            value={gtin}
            onInput={(e) => setGtin(e.currentTarget.value)}
            aria-describedby={invalid ? 'survival-gtin-hint survival-gtin-error' : 'survival-gtin-hint'}
            aria-invalid={invalid ? true : undefined}
          />
          <button type="submit" disabled={state.kind === 'loading'}>
            Show survival
          </button>
        </div>
        {invalid && (
          <p class="error field-error" id="survival-gtin-error" role="alert">
            {state.message}
          </p>
        )}
      </form>
      {state.kind === 'loading' && <p role="status">Loading the survival figures…</p>}
      {state.kind === 'failed' && <FailureAlert failure={state.failure} />}
      {state.kind === 'shown' && state.report.groups.length === 0 && (
        <p class="card" role="status">
          No implant of GTIN {state.gtin} is on record{state.report.population === 'national' ? '' : ` for ${state.report.population}`}: there is no survival to show.
        </p>
      )}
      {state.kind === 'shown' && state.report.groups.length > 0 && (
        <section class="card plot" aria-labelledby="plot-heading">
          <h2 id="plot-heading">
            Cumulative revision: GTIN {state.gtin}
          </h2>
          <p class="hint">
            As of {formatDate(state.report.asOf)}; {state.report.population === 'national' ? 'national figures' : `implants at ${state.report.population}`}.
          </p>
          {state.url && (
            <img
              src={state.url}
              alt={`Plot of cumulative revision over time for GTIN ${state.gtin}: ${state.report.groups.map((g) => `${g.label}, ${plural(g.n, 'implant')}, ${plural(g.revisions, 'revision')}`).join('; ')}. The yearly figures are in the table below.`}
            />
          )}
          {state.report.groups.map((g, gi) => (
            <div class="table-wrap" key={g.group}>
              <table class="survival-table">
                <caption>
                  Yearly figures for {g.label}: {plural(g.n, 'implant')}, {plural(g.revisions, 'revision')}
                </caption>
                <thead>
                  <tr>
                    <th scope="col">Year</th>
                    <th scope="col" class="num">
                      At risk
                    </th>
                    <th scope="col" class="num">
                      Survival
                    </th>
                    <th scope="col" class="num">
                      Cumulative revision
                    </th>
                    <th scope="col">95% confidence interval</th>
                  </tr>
                </thead>
                <tbody>
                  {g.points.map((p) => (
                    <tr key={`${gi}-${p.year}`}>
                      <th scope="row">{p.year}</th>
                      <td class="num">{p.atRisk}</td>
                      <td class="num">{percent(p.survival * 100)}</td>
                      <td class="num">{percent(p.cumulativeRevisionPercent)}</td>
                      <td>
                        {percent(p.cumulativeRevisionLower)} to {percent(p.cumulativeRevisionUpper)}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          ))}
        </section>
      )}
    </main>
  );
}
