import type { ComponentChildren } from 'preact';
import { ROLE_NAMES, type Session } from './session.js';

/** The bar over every signed-in page: which console, which key or which person in which role profile, and the way out. */
export function TopBar({ title, session, onSignOut, children }: { title: string; session: Session; onSignOut: () => void; children?: ComponentChildren }) {
  return (
    <header class="top">
      <span class="brand">Implant trace · {title}</span>
      {children}
      <span class="who">
        {session.me.person && session.key === null ? (
          <>
            <span class="person">{session.me.person.name}</span> · {ROLE_NAMES[session.me.role]} · {session.me.organisation ?? 'national'}
          </>
        ) : (
          <>
            {session.me.keyName} · {session.me.organisation ?? 'national'}
          </>
        )}
      </span>
      <button type="button" class="secondary" onClick={onSignOut}>
        Sign out
      </button>
    </header>
  );
}
