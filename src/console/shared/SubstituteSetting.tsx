/**
 * What this device's scanner sends in place of GS (a setting of the device, kept in its
 * localStorage): none (GS itself or Ctrl+]), one of the common substitutes, or any text.
 */
import { useState } from 'preact/hooks';
import { SUBSTITUTE_PRESETS } from './wedge.js';

export function SubstituteSetting({ value, onChange }: { value: string; onChange: (substitute: string) => void }) {
  const preset = SUBSTITUTE_PRESETS.some((p) => p.value === value) ? value : 'custom';
  return (
    <>
      <label for="gs-substitute">The scanner sends the GS1 separator as</label>
      <select id="gs-substitute" value={preset} onChange={(e) => onChange(e.currentTarget.value === 'custom' ? value || '<GS>' : e.currentTarget.value)}>
        {SUBSTITUTE_PRESETS.map((p) => (
          <option key={p.value} value={p.value}>
            {p.label}
          </option>
        ))}
        <option value="custom">Other text…</option>
      </select>
      {preset === 'custom' && <CustomSubstitute value={value} onChange={onChange} />}
    </>
  );
}

function CustomSubstitute({ value, onChange }: { value: string; onChange: (v: string) => void }) {
  const [text, setText] = useState(value);
  return (
    <>
      <label for="gs-custom">Separator text</label>
      <input id="gs-custom" value={text} maxLength={10} autocomplete="off" spellcheck={false} onInput={(e) => setText(e.currentTarget.value)} onBlur={() => text && onChange(text)} />
    </>
  );
}

/** A device setting in localStorage under `key` (JSON), read once; kept when it changes. Without storage: for this page's life. */
export function useStoredSubstitute(key: string): [string, (substitute: string) => void] {
  const [substitute, setSubstitute] = useState<string>(() => {
    try {
      const stored = JSON.parse(localStorage.getItem(key) ?? '{}') as { substitute?: unknown };
      return typeof stored.substitute === 'string' ? stored.substitute : '';
    } catch {
      return '';
    }
  });
  const update = (s: string) => {
    try {
      localStorage.setItem(key, JSON.stringify({ substitute: s }));
    } catch {
      // Not kept: asked again after a reload.
    }
    setSubstitute(s);
  };
  return [substitute, update];
}
