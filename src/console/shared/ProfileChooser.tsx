import { useState } from 'preact/hooks';
import { useFocusOnMount } from './focus.js';
import { profileText, type Profiles, type Role } from './session.js';

interface Props {
  readonly title: string;
  readonly role: Role;
  readonly person: Profiles;
  readonly notice: string | null;
  readonly choose: (profileId: string) => Promise<string | null>;
  readonly signOut: () => void;
}

/**
 * A person signed in with several role profiles (CIS2 role profiles, roles in two
 * organisations) chooses the one they work in now; the service answers every other call
 * 403 PROFILE_REQUIRED until then. One button per profile, the ones this page is for first;
 * the heading takes the focus so that a screen reader starts here.
 */
export function ProfileChooser({ title, role, person, notice, choose, signOut }: Props) {
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const profiles = [...person.profiles].sort((a, b) => Number(b.role === role) - Number(a.role === role));

  const pick = async (id: string) => {
    setBusy(true);
    setError(null);
    const failed = await choose(id);
    setBusy(false);
    if (failed !== null) setError(failed);
  };

  return (
    <main id="main" class="panel sign-in profile-chooser">
      <h1 ref={heading} tabIndex={-1}>
        {title}: choose a role profile
      </h1>
      {notice && (
        <p class="refusal" role="alert">
          {notice}
        </p>
      )}
      <p>
        You are signed in as <strong>{person.person.name}</strong>. You hold {person.profiles.length === 1 ? 'one role profile' : `${person.profiles.length} role profiles`} in this service: choose the one
        you are working in now. Everything you record is in your name, in that role.
      </p>
      <ul class="profiles" aria-label="Your role profiles">
        {profiles.map((p) => (
          <li key={p.id}>
            <button type="button" disabled={busy} aria-current={p.id === person.current ? 'true' : undefined} onClick={() => void pick(p.id)}>
              {profileText(p)}
            </button>
            {p.id === person.current && <span class="hint"> (in use now)</span>}
            {p.role !== role && <span class="hint"> (not for this page)</span>}
          </li>
        ))}
      </ul>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <button type="button" class="secondary" onClick={signOut}>
        Sign out
      </button>
    </main>
  );
}
