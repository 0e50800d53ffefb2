import { useRef, useState } from 'preact/hooks';
import { checkManualEntry, type ManualEntryField } from '../../barcode/manual.js';
import { useFocusOnMount } from '../shared/focus.js';
import type { ManualEntry } from './queue.js';

interface Props {
  /** What the item is recorded as (the chosen action), said on the button. */
  readonly actionLabel: string;
  /** A check before opening: the entry is checked against the case, and nothing is recorded. */
  readonly check?: boolean;
  readonly onSubmit: (entry: ManualEntry) => void;
  readonly onClose: () => void;
}

type Values = Record<ManualEntryField, string>;

const FIELDS: ReadonlyArray<{ field: ManualEntryField; label: string; hint?: string }> = [
  { field: 'gtin', label: 'GTIN (required)', hint: 'The 8 to 14 digits under the product barcode, often after (01).' },
  { field: 'lotNumber', label: 'Lot', hint: 'After LOT or (10).' },
  { field: 'serialNumber', label: 'Serial number', hint: 'After SN or (21).' },
  { field: 'expirationDate', label: 'Expiry date' },
];

const blank = (text: string) => (text.trim() === '' ? undefined : text.trim());

/** What the form holds, as the service takes it: empty fields left out, spaces in a typed GTIN ignored. */
function entryOf(values: Values): ManualEntry {
  const lotNumber = blank(values.lotNumber);
  const serialNumber = blank(values.serialNumber);
  const expirationDate = blank(values.expirationDate);
  return {
    gtin: values.gtin.replace(/[\s-]/g, ''),
    ...(lotNumber !== undefined ? { lotNumber } : {}),
    ...(serialNumber !== undefined ? { serialNumber } : {}),
    ...(expirationDate !== undefined ? { expirationDate } : {}),
  };
}

/**
 * Typing an item in when its label cannot be read: GTIN, lot, serial, expiry.
 * The entry is checked on the device against the same GS1 rules the service
 * applies (checkManualEntry), so a typing slip is caught at the bedside, next
 * to its field, and nothing is sent until it is right. A correct entry goes to
 * the outbox like a scan, recorded as typed in.
 */
export function ManualEntryForm({ actionLabel, check = false, onSubmit, onClose }: Props) {
  const [values, setValues] = useState<Values>({ gtin: '', lotNumber: '', serialNumber: '', expirationDate: '' });
  const [errors, setErrors] = useState<Partial<Record<ManualEntryField, string>>>({});
  const first = useFocusOnMount<HTMLInputElement>();
  const refs = useRef<Partial<Record<ManualEntryField, HTMLInputElement | null>>>({});

  const submit = (e: Event) => {
    e.preventDefault();
    const entry = entryOf(values);
    const issues = checkManualEntry(entry);
    if (issues.length > 0) {
      setErrors(Object.fromEntries(issues.map((i) => [i.field, i.message])));
      const where = issues[0]?.field;
      if (where) refs.current[where]?.focus();
      return;
    }
    setErrors({});
    onSubmit(entry);
  };

  return (
    <form class="manual-entry" aria-labelledby="manual-heading" noValidate onSubmit={submit} onKeyDown={(e) => e.key === 'Escape' && (e.preventDefault(), onClose())}>
      <h2 id="manual-heading">{check ? 'Type a box in to check it' : 'Type an item in'}</h2>
      <p class="hint">
        {check
          ? 'For a label that will not scan. The box is checked against this case like a scan, and nothing is recorded.'
          : 'For a label that will not scan. The item is recorded as typed in, and checked for recalls and earlier use like a scan.'}
      </p>
      {FIELDS.map(({ field, label, hint }) => {
        const id = `manual-${field}`;
        const error = errors[field];
        const described = [hint ? `${id}-hint` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ') || undefined;
        return (
          <div key={field} class="manual-field">
            <label for={id}>{label}</label>
            {hint && (
              <span id={`${id}-hint`} class="hint small">
                {hint}
              </span>
            )}
            {field === 'expirationDate' ? (
              <input
                id={id}
                ref={(el) => {
                  refs.current[field] = el;
                }}
                type="date"
                value={values[field]}
                aria-invalid={error ? true : undefined}
                aria-describedby={described}
                onInput={(e) => setValues((v) => ({ ...v, [field]: e.currentTarget.value }))}
              />
            ) : (
              <input
                id={id}
                ref={(el) => {
                  refs.current[field] = el;
                  if (field === 'gtin') first.current = el;
                }}
                type="text"
                inputMode={field === 'gtin' ? 'numeric' : undefined}
                autocomplete="off"
                autocapitalize={field === 'gtin' ? 'off' : 'characters'}
                spellcheck={false}
                value={values[field]}
                aria-invalid={error ? true : undefined}
                aria-describedby={described}
                onInput={(e) => setValues((v) => ({ ...v, [field]: e.currentTarget.value }))}
              />
            )}
            {error && (
              <p id={`${id}-error`} class="error field-error">
                {error}
              </p>
            )}
          </div>
        );
      })}
      <div class="form-actions">
        <button type="submit">{check ? 'Check this box' : `Record as ${actionLabel.toLowerCase()}`}</button>
        <button type="button" class="secondary" onClick={onClose}>
          Cancel
        </button>
      </div>
    </form>
  );
}
