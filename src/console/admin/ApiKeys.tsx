import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { failureOf, type Failure } from '../shared/failure.js';
import type { Me } from '../shared/session.js';
import { FailureAlert, ViewHeading } from '../shared/ui.js';
import { CreateKeyForm } from './CreateKeyForm.js';
import { KeyList } from './KeyList.js';
import { NewSecret } from './NewSecret.js';
import type { ApiKey, CreatedApiKey } from './types.js';

type ListState = { readonly kind: 'loading' } | { readonly kind: 'failed'; readonly failure: Failure } | { readonly kind: 'loaded'; readonly keys: readonly ApiKey[] };

const newestFirst = (a: ApiKey, b: ApiKey) => b.createdAt.localeCompare(a.createdAt) || a.id.localeCompare(b.id);

/**
 * The admin's keys: a form to create one (its secret shown once, in place of
 * the form, until the admin says it is stored), and the list with revocation.
 * What the service refuses (403 for a caller who is no admin, 404 for an
 * organisation not registered) is said in its own words.
 */
export function ApiKeys({ api, me }: { api: Api; me: Me }) {
  const [list, setList] = useState<ListState>({ kind: 'loading' });
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const listHeading = useRef<HTMLHeadingElement>(null);
  const messageRef = useRef<HTMLParagraphElement>(null);

  const load = useCallback(async () => {
    try {
      const answer = await api.request<{ items: ApiKey[] }>('/v1/api-keys');
      setList(answer.ok ? { kind: 'loaded', keys: [...answer.data.items].sort(newestFirst) } : { kind: 'failed', failure: { kind: 'problem', problem: answer.problem } });
    } catch (e) {
      setList({ kind: 'failed', failure: failureOf(e) });
    }
  }, [api]);

  useEffect(() => void load(), [load]);

  const onCreated = (key: CreatedApiKey) => {
    setMessage(null);
    setCreated(key);
    void load();
  };

  /** The secret leaves the page: the state that held it is dropped, and the list (with the new key at the top) takes the focus. */
  const onSecretDone = () => {
    setCreated(null);
    setTimeout(() => listHeading.current?.focus(), 0);
  };

  const onRevoked = (key: ApiKey) => {
    setMessage(`Revoked “${key.name}”: it is refused from its next call.`);
    setTimeout(() => messageRef.current?.focus(), 0);
    void load();
  };

  return (
    <main id="main" class="admin">
      <ViewHeading>API keys</ViewHeading>
      <p class="hint">
        Keys for devices and servers: theatre scanners, integrations, registries’ servers.{' '}
        {me.national ? 'As a national admin you see the keys of every organisation.' : `You see the keys of ${me.organisation ?? 'your organisation'}.`}
      </p>

      {created ? <NewSecret created={created} onDone={onSecretDone} /> : <CreateKeyForm api={api} me={me} onCreated={onCreated} />}

      <section aria-labelledby="keys-heading">
        <h2 id="keys-heading" ref={listHeading} tabIndex={-1}>
          Keys
        </h2>
        <div role="status" class="message-region">
          {message && (
            <p class="notice" ref={messageRef} tabIndex={-1}>
              {message}
            </p>
          )}
        </div>
        {list.kind === 'loading' && <p role="status">Loading keys…</p>}
        {list.kind === 'failed' && <FailureAlert failure={list.failure} onRetry={() => void load()} />}
        {list.kind === 'loaded' && list.keys.length === 0 && <p class="card">No keys yet.</p>}
        {list.kind === 'loaded' && list.keys.length > 0 && <KeyList api={api} keys={list.keys} ownKeyId={me.keyId} onRevoked={onRevoked} />}
        <p class="hint">
          Only devices’ and servers’ keys are revoked here. A person’s role profile comes from their organisation account: change their roles there. A SMART client is revoked with its
          registration, which also ends its tokens.
        </p>
      </section>
    </main>
  );
}
