/**
 * The case team, in the case header: who is in the case now, who is at the
 * scanner (the member badged in most recently: scans sent with this device's
 * key are named to them), and whom scans from this device are named to, said
 * in one line. A badge scanned into the scan field badges its holder in with
 * the role chosen here; "Left the case" takes a member out (a handover, or
 * badged in by mistake). Those who left are kept, folded away, with the time.
 */
import { useState } from 'preact/hooks';
import { NetworkError, type Api } from '../shared/api.js';
import { formatDateTime } from '../shared/format.js';
import { CASE_ROLE_NAMES, namedTo, namedToSentence, roleName, staffName } from './team.js';
import type { CaseRole, CaseTeam, Procedure } from './types.js';

interface Props {
  readonly api: Api;
  readonly procedure: Procedure;
  /** The person signed in on this device (their session, or their cookie with the device key): scans are named to them. */
  readonly person: string | null;
  /** The role the next badge scanned joins with. */
  readonly role: CaseRole;
  readonly onRole: (role: CaseRole) => void;
  /** The team as the service answered it, at once; the case is fetched again after. */
  readonly onTeam: (team: CaseTeam) => void;
  readonly onChanged: () => Promise<void> | void;
  /** What the last change of the team said (a badge in, a member out, a refusal): one place for all, so none is left standing stale. */
  readonly said: Said | null;
  readonly onSaid: (said: Said | null) => void;
}

export interface Said {
  readonly text: string;
  readonly error: boolean;
}

export function TeamPanel(props: Props) {
  const { api, procedure } = props;
  const team = procedure.team;
  const [leaving, setLeaving] = useState<string | null>(null);
  const { said, onSaid: setSaid } = props;
  const open = procedure.status === 'open';
  const present = team.members.filter((m) => m.leftAt === null);
  const left = team.members.filter((m) => m.leftAt !== null);
  const to = namedTo(team, props.person);

  const leave = async (staffId: string, name: string) => {
    setLeaving(staffId);
    setSaid(null);
    try {
      const answer = await api.request<CaseTeam>(`/v1/procedures/${procedure.id}/staff/${staffId}`, { method: 'DELETE' });
      if (answer.ok) {
        props.onTeam(answer.data);
        setSaid({ text: `${name} left the case. ${namedToSentence(namedTo(answer.data, props.person))}.`, error: false });
      } else {
        setSaid({ text: answer.problem.detail, error: true });
      }
      void props.onChanged();
    } catch (e) {
      setSaid({ text: e instanceof NetworkError ? `Offline: ${name} is still in the case. Leaving needs the service; try again when it can be reached.` : `${name} could not be taken out of the case.`, error: true });
    } finally {
      setLeaving(null);
    }
  };

  return (
    <section class="team" aria-labelledby="team-heading" data-testid="team">
      <div class="team-top">
        <h2 id="team-heading">Case team</h2>
        {open && (
          <div class="team-role">
            <label for="badge-role">Role for the next badge</label>
            <select id="badge-role" value={props.role} onChange={(e) => props.onRole(e.currentTarget.value as CaseRole)}>
              {CASE_ROLE_NAMES.map((r) => (
                <option key={r.value} value={r.value}>
                  {r.label}
                </option>
              ))}
            </select>
          </div>
        )}
      </div>
      <p class={`named-to to-${to.kind}`} data-testid="named-to">
        {namedToSentence(to)}
      </p>
      {present.length === 0 ? (
        <p class="hint">Nobody is in the case. A staff badge scanned into the scan field badges its holder in, in the role chosen (then scrub again).</p>
      ) : (
        <ul class="team-members">
          {present.map((m) => {
            const name = staffName(m.staff);
            return (
              <li key={`${m.staff.id} ${m.joinedAt}`} class={`member${m.atScanner ? ' at-scanner' : ''}`} data-testid="member" data-staff-id={m.staff.id}>
                <span class="member-name">{name}</span>
                <span class="member-role">{roleName(m.role)}</span>
                <span class={`badge evidence ${m.evidence}`} title={m.evidence === 'badge' ? 'Their badge was scanned' : 'Named by a typed GSRN or local id: never at the scanner'}>
                  {m.evidence === 'badge' ? 'badge' : 'typed'}
                </span>
                {m.atScanner && <strong class="badge scanner">At the scanner</strong>}
                {open && (
                  <button type="button" class="secondary" aria-label={`Left the case: ${name}`} disabled={leaving !== null} onClick={() => void leave(m.staff.id, name)}>
                    Left the case
                  </button>
                )}
              </li>
            );
          })}
        </ul>
      )}
      {left.length > 0 && (
        <details class="team-left">
          <summary>No longer in the case ({left.length})</summary>
          <ul>
            {left.map((m) => (
              <li key={`${m.staff.id} ${m.joinedAt}`} data-testid="left-member">
                {staffName(m.staff)}, {roleName(m.role).toLowerCase()} ({m.evidence}): left {formatDateTime(m.leftAt)}
              </li>
            ))}
          </ul>
        </details>
      )}
      <div class="message-region" role="status" aria-live="polite">
        {said && !said.error && <p class="notice">{said.text}</p>}
      </div>
      {said?.error && (
        <p class="error" role="alert">
          {said.text}
        </p>
      )}
    </section>
  );
}
