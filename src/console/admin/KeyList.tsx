import { useRef, useState } from 'preact/hooks';
import type { Api } from '../shared/api.js';
import { failureOf, type Failure } from '../shared/failure.js';
import { formatDate, formatDateTime } from '../shared/format.js';
import { ConfirmButton, FailureAlert } from '../shared/ui.js';
import { HOLDER_NAMES, holderOf, type ApiKey } from './types.js';

interface Props {
  readonly api: Api;
  readonly keys: readonly ApiKey[];
  /** The key (or person's principal) this page is signed in with: not offered for revocation here. */
  readonly ownKeyId: string;
  /** Tells the page a key was revoked, so that it loads the list again. */
  readonly onRevoked: (key: ApiKey) => void;
}

/** The kind of holder, said in words; a kind the page does not know yet, by the service's word. */
function holderText(key: ApiKey): string {
  const holder = holderOf(key);
  return holder === 'other' ? key.kind : HOLDER_NAMES[holder];
}

/**
 * The keys the admin administers, newest first, revoked ones marked in words.
 * Only a device's or server's key is revoked here, after a confirmation: a
 * person's role profile comes from their organisation account, and revoking it
 * would take that profile from them for good; a SMART client is revoked with
 * its registration (DELETE /v1/smart/clients/{id}), which also stops its tokens.
 */
export function KeyList({ api, keys, ownKeyId, onRevoked }: Props) {
  const [confirming, setConfirming] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<Failure | null>(null);
  const revokeButtons = useRef(new Map<string, HTMLButtonElement>());

  const cancel = (id: string) => {
    setConfirming(null);
    setFailure(null);
    setTimeout(() => revokeButtons.current.get(id)?.focus(), 0);
  };

  const revoke = async (key: ApiKey) => {
    setBusy(true);
    setFailure(null);
    try {
      // 204, no body: read as text.
      const answer = await api.request<string>(`/v1/api-keys/${key.id}`, { method: 'DELETE', as: 'text' });
      if (answer.ok) {
        setConfirming(null);
        onRevoked(key);
      } else {
        setFailure({ kind: 'problem', problem: answer.problem });
      }
    } catch (e) {
      setFailure(failureOf(e));
    } finally {
      setBusy(false);
    }
  };

  const columns = 9;
  return (
    <div class="table-wrap">
      <table class="key-list">
        <caption>
          {keys.length === 1 ? '1 key' : `${keys.length} keys`}, newest first ({keys.filter((k) => k.revokedAt !== null).length} revoked)
        </caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Role</th>
            <th scope="col">Organisation</th>
            <th scope="col">Registry</th>
            <th scope="col">Prefix</th>
            <th scope="col">Created</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((k) => {
            const holder = holderOf(k);
            const revoked = k.revokedAt !== null;
            const own = k.id === ownKeyId;
            return [
              <tr key={k.id} class={revoked ? 'revoked' : undefined} data-key-id={k.id}>
                <th scope="row">{k.name}</th>
                <td>{holderText(k)}</td>
                <td>{k.role}</td>
                <td>{k.national ? <span class="badge national">National</span> : k.organisation}</td>
                <td>{k.registry ?? '—'}</td>
                <td>
                  <code>{k.prefix}</code>
                </td>
                <td class="when">{formatDate(k.createdAt)}</td>
                <td>
                  {revoked ? (
                    <>
                      <span class="badge key-revoked">Revoked</span>
                      <span class="hint small">{formatDateTime(k.revokedAt)}</span>
                    </>
                  ) : (
                    <span class="badge key-active">Active</span>
                  )}
                </td>
                <td>
                  {revoked ? null : own ? (
                    <span class="hint small">Signed in with it</span>
                  ) : holder === 'device' ? (
                    <button
                      type="button"
                      class="secondary danger small"
                      ref={(el) => void (el ? revokeButtons.current.set(k.id, el) : revokeButtons.current.delete(k.id))}
                      aria-expanded={confirming === k.id}
                      onClick={() => (setFailure(null), setConfirming(k.id))}
                      disabled={busy}
                    >
                      Revoke<span class="visually-hidden"> the key {k.name}</span>
                    </button>
                  ) : (
                    <span class="hint small">{holder === 'person' ? 'From their organisation account' : holder === 'smart-client' ? 'Revoked with its SMART client' : ''}</span>
                  )}
                </td>
              </tr>,
              confirming === k.id && (
                <tr key={`${k.id}-confirm`} class="editor-row">
                  <td colSpan={columns}>
                    <div class="confirm" role="group" aria-labelledby={`confirm-revoke-${k.id}`} onKeyDown={(e) => e.key === 'Escape' && !busy && cancel(k.id)}>
                      <p id={`confirm-revoke-${k.id}`}>
                        Revoke “{k.name}” ({k.prefix}…)? Whatever uses it is refused from its next call. This cannot be undone: a new key would have to be made and set up.
                      </p>
                      {failure && <FailureAlert failure={failure} />}
                      <ConfirmButton onClick={() => void revoke(k)} disabled={busy}>
                        {busy ? 'Revoking…' : 'Yes, revoke the key'}
                      </ConfirmButton>
                      <button type="button" class="secondary" onClick={() => cancel(k.id)}>
                        Cancel
                      </button>
                    </div>
                  </td>
                </tr>
              ),
            ];
          })}
        </tbody>
      </table>
    </div>
  );
}

