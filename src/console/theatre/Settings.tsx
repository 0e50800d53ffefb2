import { useState } from 'preact/hooks';
import { uuid } from '../shared/ids.js';
import { SubstituteSetting } from '../shared/SubstituteSetting.js';

export interface TheatreSettings {
  /** What this device's scanner sends in place of GS, if anything but GS itself or Ctrl+]. */
  readonly substitute: string;
  /** Which scanner (this device): split labels are paired per scanner. */
  readonly scannerId: string;
}

const KEY = 'implant-trace.theatre.settings';

function load(): TheatreSettings {
  try {
    const stored = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<TheatreSettings>;
    return { substitute: typeof stored.substitute === 'string' ? stored.substitute : '', scannerId: typeof stored.scannerId === 'string' && stored.scannerId ? stored.scannerId : `device-${uuid().slice(0, 8)}` };
  } catch {
    return { substitute: '', scannerId: `device-${uuid().slice(0, 8)}` };
  }
}

/** The device's settings, kept in localStorage (they describe the device, not a user). */
export function useSettings(): [TheatreSettings, (s: TheatreSettings) => void] {
  const [settings, setSettings] = useState<TheatreSettings>(() => {
    const s = load();
    try {
      localStorage.setItem(KEY, JSON.stringify(s));
    } catch {
      // Not kept: asked again after a reload.
    }
    return s;
  });
  const update = (s: TheatreSettings) => {
    try {
      localStorage.setItem(KEY, JSON.stringify(s));
    } catch {
      // As above.
    }
    setSettings(s);
  };
  return [settings, update];
}

export function Settings({ settings, onChange }: { settings: TheatreSettings; onChange: (s: TheatreSettings) => void }) {
  return (
    <details class="settings">
      <summary>Scanner settings</summary>
      <SubstituteSetting value={settings.substitute} onChange={(substitute) => onChange({ ...settings, substitute })} />
      <p class="hint">This device is scanner “{settings.scannerId}”.</p>
    </details>
  );
}
