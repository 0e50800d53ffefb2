import { useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { failureOf, isAbort, issuesOf, OFFLINE_TEXT, type Failure, type Issue } from '../shared/failure.js';
import { FailureAlert, Field, FieldErrors, ViewHeading } from '../shared/ui.js';
import { previewText } from './counts.js';
import { type Counts, type Recall, type Scope } from './types.js';
import { plural } from './ui.js';

interface ScopeDraft {
  readonly key: number;
  readonly by: 'gtin' | 'hibc';
  readonly gtin: string;
  readonly lic: string;
  readonly pcn: string;
  readonly lots: string;
  readonly serials: string;
  readonly rangeFrom: string;
  readonly rangeTo: string;
  readonly expiryFrom: string;
  readonly expiryTo: string;
  readonly manufacturedFrom: string;
  readonly manufacturedTo: string;
  readonly allLots: boolean;
}

interface Details {
  readonly reference: string;
  readonly title: string;
  readonly manufacturer: string;
  readonly issuedAt: string;
}

let nextKey = 1;
const emptyScope = (): ScopeDraft => ({
  key: nextKey++,
  by: 'gtin',
  gtin: '',
  lic: '',
  pcn: '',
  lots: '',
  serials: '',
  rangeFrom: '',
  rangeTo: '',
  expiryFrom: '',
  expiryTo: '',
  manufacturedFrom: '',
  manufacturedTo: '',
  allLots: false,
});

/** "A1, A2\nA3" → [A1, A2, A3]: one a line or comma-separated, blanks dropped. */
export const listOf = (text: string): string[] =>
  text
    .split(/[\n,;]+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** A draft as the API takes it: what is left empty is left out, so the service says what is missing. */
function scopeOf(d: ScopeDraft): Scope {
  const lots = listOf(d.lots);
  const serials = listOf(d.serials);
  const from = d.rangeFrom.trim();
  const to = d.rangeTo.trim();
  const lic = d.lic.trim().toUpperCase();
  const pcn = d.pcn.trim().toUpperCase();
  return {
    ...(d.by === 'gtin' && d.gtin.trim() !== '' ? { gtin: d.gtin.replace(/\s/g, '') } : {}),
    ...(d.by === 'hibc' && (lic !== '' || pcn !== '') ? { hibc: { lic, pcn } } : {}),
    ...(lots.length > 0 ? { lots } : {}),
    ...(serials.length > 0 ? { serials } : {}),
    ...(from !== '' || to !== '' ? { serialRange: { from, to } } : {}),
    ...(d.expiryFrom ? { expiryFrom: d.expiryFrom } : {}),
    ...(d.expiryTo ? { expiryTo: d.expiryTo } : {}),
    ...(d.manufacturedFrom ? { manufacturedFrom: d.manufacturedFrom } : {}),
    ...(d.manufacturedTo ? { manufacturedTo: d.manufacturedTo } : {}),
    ...(d.allLots ? { allLots: true as const } : {}),
  };
}

const isBlank = (d: ScopeDraft) => Object.keys(scopeOf(d)).length === 0;

function bodyOf(details: Details, scopes: readonly ScopeDraft[]) {
  const text = (s: string) => s.trim();
  return {
    reference: text(details.reference),
    title: text(details.title),
    ...(text(details.manufacturer) ? { manufacturer: text(details.manufacturer) } : {}),
    ...(details.issuedAt ? { issuedAt: details.issuedAt } : {}),
    scope: scopes.map(scopeOf),
  };
}

/** Whether an issue at `pointer` is about the field at `field` (an element of a list counts as the list). */
const claims = (field: string, pointer: string) => pointer === field || new RegExp(`^${field.replace(/[/]/g, '\\/')}/\\d+$`).test(pointer);

/** Every pointer a field of the form shows its issues beside. */
function fieldPointers(scopes: readonly ScopeDraft[]): string[] {
  const top = ['/reference', '/title', '/manufacturer', '/issuedAt', '/scope'];
  const perScope = scopes.flatMap((d, i) => {
    const base = `/scope/${i}`;
    const id = d.by === 'gtin' ? ['gtin'] : ['gtin', 'hibc', 'hibc/lic', 'hibc/pcn'];
    return [base, ...[...id, 'lots', 'serials', 'serialRange', 'serialRange/from', 'serialRange/to', 'expiryFrom', 'expiryTo', 'manufacturedFrom', 'manufacturedTo', 'allLots'].map((f) => `${base}/${f}`)];
  });
  return [...top, ...perScope];
}

type Preview =
  | { readonly kind: 'idle' }
  | { readonly kind: 'counts'; readonly counts: Counts; readonly scopes: number }
  | { readonly kind: 'invalid'; readonly count: number }
  | { readonly kind: 'failed'; readonly failure: Failure };


interface ScopeProps {
  readonly index: number;
  readonly draft: ScopeDraft;
  readonly removable: boolean;
  readonly added: boolean;
  readonly errorsAt: (pointer: string) => string[];
  readonly onChange: (draft: ScopeDraft) => void;
  readonly onRemove: () => void;
}

function ScopeFields({ index, draft, removable, added, errorsAt, onChange, onRemove }: ScopeProps) {
  const id = (f: string) => `scope-${index}-${f}`;
  const base = `/scope/${index}`;
  const set = <K extends keyof ScopeDraft>(k: K, v: ScopeDraft[K]) => onChange({ ...draft, [k]: v });
  const first = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (added) first.current?.focus();
  }, []);
  const text = (f: keyof ScopeDraft, label: string, hint?: string, type: 'text' | 'date' = 'text', pointer = f as string, more: readonly string[] = []) => (
    <Field id={id(f)} label={label} {...(hint ? { hint } : {})} errors={[...more, ...errorsAt(`${base}/${pointer}`)]}>
      {(a11y) =>
        type === 'date' ? (
          <input {...a11y} type="date" value={draft[f] as string} onInput={(e) => set(f, e.currentTarget.value as never)} />
        ) : (
          <input {...a11y} type="text" autocomplete="off" spellcheck={false} value={draft[f] as string} onInput={(e) => set(f, e.currentTarget.value as never)} />
        )
      }
    </Field>
  );
  const scopeErrors = errorsAt(base);
  const rangeErrors = errorsAt(`${base}/serialRange`);
  const hibcErrors = draft.by === 'hibc' ? [...errorsAt(`${base}/gtin`), ...errorsAt(`${base}/hibc`)] : [];
  return (
    <fieldset class="scope card" aria-describedby={scopeErrors.length > 0 ? id('error') : undefined}>
      <legend>Scope {index + 1}</legend>
      <FieldErrors id={id('error')} errors={scopeErrors} />
      <fieldset class="inline-choice">
        <legend>Product identified by</legend>
        <label>
          <input type="radio" name={id('by')} ref={first} checked={draft.by === 'gtin'} onChange={() => set('by', 'gtin')} />
          GTIN
        </label>
        <label>
          <input type="radio" name={id('by')} checked={draft.by === 'hibc'} onChange={() => set('by', 'hibc')} />
          HIBC (labeler code and product number)
        </label>
      </fieldset>
      {draft.by === 'gtin' ? (
        <Field id={id('gtin')} label="GTIN" hint="8, 12, 13 or 14 digits, from the notice or the box label." errors={errorsAt(`${base}/gtin`)}>
          {(a11y) => <input {...a11y} inputMode="numeric" autocomplete="off" spellcheck={false} value={draft.gtin} onInput={(e) => set('gtin', e.currentTarget.value)} />}
        </Field>
      ) : (
        <div class="grid-2">
          {text('lic', 'HIBC labeler code (LIC)', '4 characters, the first a letter.', 'text', 'hibc/lic', hibcErrors)}
          {text('pcn', 'HIBC product number (PCN)', undefined, 'text', 'hibc/pcn')}
        </div>
      )}
      <div class="grid-2">
        <Field id={id('lots')} label="Lots" hint="One a line, or separated by commas." errors={errorsAt(`${base}/lots`)}>
          {(a11y) => <textarea {...a11y} spellcheck={false} value={draft.lots} onInput={(e) => set('lots', e.currentTarget.value)} />}
        </Field>
        <Field id={id('serials')} label="Serial numbers" hint="One a line, or separated by commas." errors={errorsAt(`${base}/serials`)}>
          {(a11y) => <textarea {...a11y} spellcheck={false} value={draft.serials} onInput={(e) => set('serials', e.currentTarget.value)} />}
        </Field>
      </div>
      <fieldset aria-describedby={rangeErrors.length > 0 ? id('range-error') : undefined}>
        <legend>Serial number range</legend>
        <FieldErrors id={id('range-error')} errors={rangeErrors} />
        <div class="grid-2">
          {text('rangeFrom', 'From serial')}
          {text('rangeTo', 'To serial')}
        </div>
      </fieldset>
      <fieldset>
        <legend>Expiry date window</legend>
        <div class="grid-2">
          {text('expiryFrom', 'Expiring on or after', undefined, 'date')}
          {text('expiryTo', 'Expiring on or before', undefined, 'date')}
        </div>
      </fieldset>
      <fieldset>
        <legend>Manufacture date window</legend>
        <div class="grid-2">
          {text('manufacturedFrom', 'Made on or after', undefined, 'date')}
          {text('manufacturedTo', 'Made on or before', undefined, 'date')}
        </div>
      </fieldset>
      <div class="check">
        <input
          type="checkbox"
          id={id('allLots')}
          checked={draft.allLots}
          onChange={(e) => set('allLots', e.currentTarget.checked)}
          aria-describedby={errorsAt(`${base}/allLots`).length > 0 ? id('allLots-error') : undefined}
          aria-invalid={errorsAt(`${base}/allLots`).length > 0 ? true : undefined}
        />
        <label for={id('allLots')}>All lots: every lot and serial of this product</label>
      </div>
      <FieldErrors id={id('allLots-error')} errors={errorsAt(`${base}/allLots`)} />
      {removable && (
        <button type="button" class="secondary" onClick={onRemove}>
          Remove scope {index + 1}
        </button>
      )}
    </fieldset>
  );
}

interface Props {
  readonly api: Api;
  readonly onCreated: (recall: Recall) => void;
  readonly onCancel: () => void;
}

/** A recall from a Field Safety Notice: its scopes, with a live count of the patients it would affect. */
export function RecallForm({ api, onCreated, onCancel }: Props) {
  const [details, setDetails] = useState<Details>({ reference: '', title: '', manufacturer: '', issuedAt: '' });
  const [scopes, setScopes] = useState<ScopeDraft[]>(() => [emptyScope()]);
  const [added, setAdded] = useState<ReadonlySet<number>>(new Set());
  const [preview, setPreview] = useState<Preview>({ kind: 'idle' });
  const [updating, setUpdating] = useState(false);
  const [previewIssues, setPreviewIssues] = useState<Issue[]>([]);
  const [submitIssues, setSubmitIssues] = useState<Issue[]>([]);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const addButton = useRef<HTMLButtonElement>(null);
  const summary = useRef<HTMLDivElement>(null);

  // The preview counts what the scopes cover; it needs no reference or title, and skips a scope not yet begun.
  const filled = scopes.map((d, i) => [d, i] as const).filter(([d]) => !isBlank(d));
  const previewBody = filled.length === 0 ? null : { reference: 'preview', title: 'preview', scope: filled.map(([d]) => scopeOf(d)) };
  const previewKey = previewBody === null ? '' : JSON.stringify(previewBody);

  useEffect(() => {
    if (previewBody === null) {
      setPreview({ kind: 'idle' });
      setPreviewIssues([]);
      setUpdating(false);
      return;
    }
    const controller = new AbortController();
    const indexOf = filled.map(([, i]) => i);
    setUpdating(true);
    const timer = setTimeout(() => {
      void (async () => {
        try {
          const answer = await api.request<Counts>('/v1/recalls/preview', { method: 'POST', body: previewBody, signal: controller.signal });
          if (controller.signal.aborted) return;
          if (answer.ok) {
            setPreview({ kind: 'counts', counts: answer.data, scopes: previewBody.scope.length });
            setPreviewIssues([]);
          } else if (answer.status === 422) {
            // Back to the form's own numbering: the preview left the blank scopes out.
            const issues = issuesOf(answer.problem).map((e) => ({ ...e, pointer: e.pointer.replace(/^\/scope\/(\d+)/, (_, n: string) => `/scope/${indexOf[Number(n)] ?? n}`) }));
            setPreview({ kind: 'invalid', count: issues.length });
            setPreviewIssues(issues);
          } else {
            setPreview({ kind: 'failed', failure: { kind: 'problem', problem: answer.problem } });
          }
          setUpdating(false);
        } catch (e) {
          if (isAbort(e)) return;
          setPreview({ kind: 'failed', failure: failureOf(e) });
          setUpdating(false);
        }
      })();
    }, 400);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [previewKey, api]);

  const issues = [...previewIssues, ...submitIssues.filter((s) => !previewIssues.some((p) => p.pointer === s.pointer && p.message === s.message))];
  const errorsAt = (pointer: string) => issues.filter((e) => claims(pointer, e.pointer)).map((e) => e.message);
  const known = fieldPointers(scopes);
  const unplaced = issues.filter((e) => !known.some((f) => claims(f, e.pointer)));

  const forget = (prefix: string) => setSubmitIssues((list) => list.filter((e) => e.pointer !== prefix && !e.pointer.startsWith(`${prefix}/`)));
  const setDetail = (k: keyof Details, v: string) => {
    setDetails((d) => ({ ...d, [k]: v }));
    forget(`/${k}`);
  };
  const setScope = (i: number, d: ScopeDraft) => {
    setScopes((list) => list.map((s, j) => (j === i ? d : s)));
    forget('/scope');
  };
  const addScope = () => {
    const s = emptyScope();
    setAdded((a) => new Set(a).add(s.key));
    setScopes((list) => [...list, s]);
  };
  const removeScope = (i: number) => {
    setScopes((list) => list.filter((_, j) => j !== i));
    forget('/scope');
    addButton.current?.focus();
  };

  const focusFirstInvalid = () =>
    setTimeout(() => {
      const el = document.querySelector<HTMLElement>('.recall-form [aria-invalid="true"]');
      (el ?? summary.current)?.focus();
    }, 0);

  const submit = async (event: Event) => {
    event.preventDefault();
    setFailure(null);
    const missing: Issue[] = [];
    if (details.reference.trim() === '') missing.push({ pointer: '/reference', message: 'Enter the Field Safety Notice reference.' });
    if (details.title.trim() === '') missing.push({ pointer: '/title', message: 'Enter a title.' });
    if (missing.length > 0) {
      setSubmitIssues(missing);
      focusFirstInvalid();
      return;
    }
    setBusy(true);
    try {
      const answer = await api.request<Recall>('/v1/recalls', { method: 'POST', body: bodyOf(details, scopes) });
      if (answer.ok) {
        onCreated(answer.data);
        return;
      }
      if (answer.status === 422 && (answer.problem.errors?.length ?? 0) > 0) {
        setSubmitIssues(issuesOf(answer.problem));
        focusFirstInvalid();
      } else {
        setFailure({ kind: 'problem', problem: answer.problem });
      }
    } catch (e) {
      setFailure(failureOf(e));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main id="main" class="recalls recall-form">
      <ViewHeading>New recall</ViewHeading>
      <p class="hint">From the Field Safety Notice. The count of affected patients updates as you type; nothing is saved until you choose “Create recall”.</p>
      <form onSubmit={(e) => void submit(e)} novalidate>
        <section class="card" aria-labelledby="notice-heading">
          <h2 id="notice-heading">The notice</h2>
          <div class="grid-2">
            <Field id="reference" label="Reference" hint="As on the notice, e.g. FSN-2026-0114." errors={errorsAt('/reference')}>
              {(a11y) => <input {...a11y} autocomplete="off" value={details.reference} onInput={(e) => setDetail('reference', e.currentTarget.value)} />}
            </Field>
            <Field id="title" label="Title" errors={errorsAt('/title')}>
              {(a11y) => <input {...a11y} autocomplete="off" value={details.title} onInput={(e) => setDetail('title', e.currentTarget.value)} />}
            </Field>
            <Field id="manufacturer" label="Manufacturer (optional)" errors={errorsAt('/manufacturer')}>
              {(a11y) => <input {...a11y} autocomplete="off" value={details.manufacturer} onInput={(e) => setDetail('manufacturer', e.currentTarget.value)} />}
            </Field>
            <Field id="issuedAt" label="Issued on (optional)" errors={errorsAt('/issuedAt')}>
              {(a11y) => <input {...a11y} type="date" value={details.issuedAt} onInput={(e) => setDetail('issuedAt', e.currentTarget.value)} />}
            </Field>
          </div>
        </section>

        <section aria-labelledby="scope-heading">
          <h2 id="scope-heading">What the recall covers</h2>
          <p class="hint">An item is affected when any one scope covers it. Each scope names a product and what of it: lots, serials, a serial range, a date window, or all lots.</p>
          <FieldErrors id="scope-list-error" errors={errorsAt('/scope')} />
          {scopes.map((d, i) => (
            <ScopeFields
              key={d.key}
              index={i}
              draft={d}
              added={added.has(d.key)}
              removable={scopes.length > 1}
              errorsAt={errorsAt}
              onChange={(next) => setScope(i, next)}
              onRemove={() => removeScope(i)}
            />
          ))}
          <button type="button" class="secondary" ref={addButton} onClick={addScope}>
            Add another scope
          </button>
        </section>

        <section class="card preview" aria-labelledby="preview-heading">
          <h2 id="preview-heading">Affected now</h2>
          <div id="preview" role="status" aria-live="polite" aria-atomic="true">
            {preview.kind === 'idle' && <p>The count appears here once a scope names a product and what of it is recalled.</p>}
            {preview.kind === 'counts' && <p class="preview-counts">{previewText(preview.counts)}</p>}
            {preview.kind === 'invalid' && <p>Not counted yet: {plural(preview.count, 'problem')} in the scopes, marked beside the fields.</p>}
            {preview.kind === 'failed' && <p>Not counted: {preview.failure.kind === 'offline' ? OFFLINE_TEXT : preview.failure.kind === 'problem' ? preview.failure.problem.detail : 'the count failed.'}</p>}
          </div>
          <p class="hint" aria-hidden="true">
            {updating ? 'Counting…' : ' '}
          </p>
        </section>

        {unplaced.length > 0 && (
          <div class="failure" ref={summary} tabIndex={-1}>
            <p class="error">The service refused the recall:</p>
            <ul>
              {unplaced.map((e) => (
                <li key={`${e.pointer}:${e.message}`}>
                  {e.pointer ? `${e.pointer}: ` : ''}
                  {e.message}
                </li>
              ))}
            </ul>
          </div>
        )}
        {failure && <FailureAlert failure={failure} />}
        {submitIssues.length > 0 && (
          <p class="error" role="alert">
            The recall was not created: {plural(submitIssues.length, 'problem')}, marked beside the fields.
          </p>
        )}
        <div class="actions-bar">
          <button type="submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create recall'}
          </button>
          <button type="button" class="secondary" onClick={onCancel}>
            Cancel
          </button>
        </div>
      </form>
    </main>
  );
}
