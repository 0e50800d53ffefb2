import { useEffect, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { failureOf, issuesOf, type Failure, type Issue } from '../shared/failure.js';
import type { Me } from '../shared/session.js';
import { FailureAlert, Field } from '../shared/ui.js';
import { bodyOf, emptyDraft, type Draft } from './draft.js';
import { ROLE_CHOICES, type CreatedApiKey, type Registry } from './types.js';

type Registries = { readonly kind: 'loading' } | { readonly kind: 'loaded'; readonly items: readonly Registry[] } | { readonly kind: 'failed' };

/**
 * A new key: what it is for, its role, whose it is (a national admin chooses an
 * organisation by ODS code, or national; an organisation's admin makes keys for
 * its own organisation only, as the service allows), and for a registry key the
 * registry it reads. The service's refusals are said beside their fields.
 */
export function CreateKeyForm({ api, me, onCreated }: { api: Api; me: Me; onCreated: (created: CreatedApiKey) => void }) {
  const [draft, setDraft] = useState<Draft>(() => emptyDraft(me));
  const [issues, setIssues] = useState<readonly Issue[]>([]);
  const [failure, setFailure] = useState<Failure | null>(null);
  const [busy, setBusy] = useState(false);
  const [registries, setRegistries] = useState<Registries>({ kind: 'loading' });

  useEffect(() => {
    void api
      .request<{ items: Registry[] }>('/v1/registries')
      .then((answer) => setRegistries(answer.ok ? { kind: 'loaded', items: answer.data.items } : { kind: 'failed' }))
      .catch(() => setRegistries({ kind: 'failed' }));
  }, [api]);

  const set = <K extends keyof Draft>(k: K, v: Draft[K]) => {
    setDraft((d) => ({ ...d, [k]: v }));
    setIssues((list) => list.filter((i) => i.pointer !== `/${k === 'reach' ? 'organisation' : k}`));
  };
  const errorsAt = (pointer: string) => issues.filter((i) => i.pointer === pointer).map((i) => i.message);
  // What a field of the form shows beside it; anything else the service says is listed above the button.
  const placed = ['/name', '/role', ...(me.national ? ['/organisation', '/national'] : []), ...(draft.role === 'registry' ? ['/registry'] : [])];
  const unplaced = issues.filter((i) => !placed.includes(i.pointer));

  const focusFirstInvalid = () =>
    setTimeout(() => {
      document.querySelector<HTMLElement>('.create-key [aria-invalid="true"]')?.focus();
    }, 0);

  const submit = async (event: Event) => {
    event.preventDefault();
    setFailure(null);
    const body = bodyOf(draft, me);
    const missing: Issue[] = [];
    if (body.name === '') missing.push({ pointer: '/name', message: 'Enter a name: what or where the key is for.' });
    if ('organisation' in body && body.organisation === '') missing.push({ pointer: '/organisation', message: 'Enter the organisation’s ODS code.' });
    setIssues(missing);
    if (missing.length > 0) {
      focusFirstInvalid();
      return;
    }
    setBusy(true);
    try {
      const answer = await api.request<CreatedApiKey>('/v1/api-keys', { method: 'POST', body });
      if (answer.ok) {
        setDraft(emptyDraft(me));
        onCreated(answer.data);
        return;
      }
      if (answer.status === 422 && (answer.problem.errors?.length ?? 0) > 0) {
        setIssues(issuesOf(answer.problem));
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

  const roleErrors = errorsAt('/role');
  const reachErrors = errorsAt('/national');
  return (
    <section class="card create-key" aria-labelledby="create-heading">
      <h2 id="create-heading">Create a key</h2>
      <p class="hint">For a device or a server: a theatre scanner, an integration. People sign in with their organisation account instead.</p>
      <form onSubmit={(e) => void submit(e)} novalidate>
        <Field id="key-name" label="Name" hint="What or where it is for, e.g. “Theatre 3 scanner”." errors={errorsAt('/name')}>
          {(a11y) => <input {...a11y} aria-required="true" autocomplete="off" maxLength={100} value={draft.name} onInput={(e) => set('name', e.currentTarget.value)} />}
        </Field>

        <fieldset class="choices" aria-describedby={roleErrors.length > 0 ? 'key-role-error' : undefined}>
          <legend>Role</legend>
          {ROLE_CHOICES.map((c) => (
            <label key={c.role}>
              <input type="radio" name="key-role" value={c.role} checked={draft.role === c.role} onChange={() => set('role', c.role)} />
              <span>
                {c.label} <span class="hint">({c.hint})</span>
              </span>
            </label>
          ))}
          {roleErrors.length > 0 && (
            <p class="error field-error" id="key-role-error">
              {roleErrors.join(' ')}
            </p>
          )}
        </fieldset>

        {me.national ? (
          <fieldset class="inline-choice" aria-describedby={reachErrors.length > 0 ? 'key-reach-error' : undefined}>
            <legend>Whose key</legend>
            <label>
              <input type="radio" name="key-reach" value="organisation" checked={draft.reach === 'organisation'} onChange={() => set('reach', 'organisation')} />
              One organisation
            </label>
            <label>
              <input type="radio" name="key-reach" value="national" checked={draft.reach === 'national'} onChange={() => set('reach', 'national')} />
              National (reads across organisations)
            </label>
            {reachErrors.length > 0 && (
              <p class="error field-error" id="key-reach-error">
                {reachErrors.join(' ')}
              </p>
            )}
          </fieldset>
        ) : (
          <p>
            For <strong>{me.organisation}</strong>, your organisation: an organisation’s admin creates keys for its own organisation only.
          </p>
        )}
        {me.national && draft.reach === 'organisation' && (
          <Field id="key-organisation" label="Organisation (ODS code)" hint="As registered here, e.g. RRK." errors={errorsAt('/organisation')}>
            {(a11y) => (
              <input {...a11y} aria-required="true" class="short" autocomplete="off" spellcheck={false} autocapitalize="characters" value={draft.organisation} onInput={(e) => set('organisation', e.currentTarget.value)} />
            )}
          </Field>
        )}

        {draft.role === 'registry' &&
          (registries.kind === 'failed' ? (
            <Field id="key-registry" label="Registry (optional)" hint="The list of registries could not be loaded: type the registry’s code, e.g. NJR. Without one the key reads outcomes only." errors={errorsAt('/registry')}>
              {(a11y) => <input {...a11y} class="short" autocomplete="off" spellcheck={false} value={draft.registry} onInput={(e) => set('registry', e.currentTarget.value)} />}
            </Field>
          ) : (
            <Field id="key-registry" label="Registry" hint="The registry whose feeds and exports the key reads. Without one it reads outcomes only." errors={errorsAt('/registry')}>
              {(a11y) => (
                <select {...a11y} value={draft.registry} disabled={registries.kind === 'loading'} onChange={(e) => set('registry', e.currentTarget.value)}>
                  <option value="">None: outcomes only</option>
                  {registries.kind === 'loaded' &&
                    registries.items.map((r) => (
                      <option key={r.code} value={r.code}>
                        {r.code}: {r.name}
                      </option>
                    ))}
                </select>
              )}
            </Field>
          ))}

        {unplaced.length > 0 && (
          <div class="failure" role="alert">
            <p class="error">The service refused the key:</p>
            <ul>
              {unplaced.map((e) => (
                <li key={`${e.pointer}:${e.message}`}>
                  {e.pointer ? `${e.pointer.slice(1)}: ` : ''}
                  {e.message}
                </li>
              ))}
            </ul>
          </div>
        )}
        {failure && <FailureAlert failure={failure} />}
        {issues.length > 0 && unplaced.length === 0 && (
          <p class="error" role="alert">
            The key was not created: {issues.length === 1 ? 'one problem' : `${issues.length} problems`}, marked beside the fields.
          </p>
        )}
        <button type="submit" disabled={busy}>
          {busy ? 'Creating…' : 'Create key'}
        </button>
      </form>
    </section>
  );
}
