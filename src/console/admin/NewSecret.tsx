import { useRef, useState } from 'preact/hooks';
import { useFocusOnMount } from '../shared/focus.js';
import type { CreatedApiKey } from './types.js';

/**
 * A new key's secret, shown this once: the service keeps only its hash, so
 * nobody can show it again. It lives in this component's props only (never a
 * URL, storage or the console's log) and is gone from the page when the admin
 * says they have stored it. The heading takes the focus, so a screen reader
 * starts with the warning.
 */
export function NewSecret({ created, onDone }: { created: CreatedApiKey; onDone: () => void }) {
  const heading = useFocusOnMount<HTMLHeadingElement>();
  const field = useRef<HTMLInputElement>(null);
  const [copied, setCopied] = useState<{ readonly ok: boolean; readonly text: string } | null>(null);

  const copy = async () => {
    try {
      // Only in secure contexts (HTTPS, localhost); a trust's plain-HTTP address falls back to a selection.
      if (!navigator.clipboard) throw new Error('no clipboard');
      await navigator.clipboard.writeText(created.key);
      setCopied({ ok: true, text: 'Copied to the clipboard. Paste it into the device or integration now.' });
    } catch {
      field.current?.focus();
      field.current?.select();
      setCopied({ ok: false, text: 'This browser did not let the page copy it: the key is selected, press Ctrl+C (⌘C on a Mac) to copy it.' });
    }
  };

  return (
    <section class="card secret" aria-labelledby="secret-heading">
      <h2 id="secret-heading" ref={heading} tabIndex={-1}>
        Copy the new key now
      </h2>
      <p class="secret-warning" id="secret-warning">
        This is the only time this key is shown. The service keeps no copy it can show again: if it is lost, revoke it and create another.
      </p>
      <label for="new-key">
        Key for “{created.name}” ({created.role}, {created.national ? 'national' : created.organisation})
      </label>
      <div class="inline-form">
        <input id="new-key" ref={field} class="secret-value" type="text" readOnly value={created.key} autocomplete="off" spellcheck={false} aria-describedby="secret-warning" />
        <button type="button" onClick={() => void copy()}>
          Copy key
        </button>
      </div>
      <p role="status" class={`message-region${copied?.ok ? ' notice' : ''}`}>
        {copied?.text}
      </p>
      <button type="button" class="secondary" onClick={onDone}>
        I have stored it: hide the key
      </button>
    </section>
  );
}
